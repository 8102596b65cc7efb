"""Page script run by st.navigation (see ui/app.py); the page itself is ui/views/result.py."""

from ui.views import result

result.render()
