"""Page script run by st.navigation (see ui/app.py); the page itself is ui/views/matching.py."""

from ui.views import matching

matching.render()
