"""Page script run by st.navigation (see ui/app.py); the page itself is ui/views/workshop.py."""

from ui.views import workshop

workshop.render()
