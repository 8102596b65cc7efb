"""Page script run by st.navigation (see ui/app.py); the page itself is ui/views/assess.py."""

from ui.views import assess

assess.render()
