"""Page script run by st.navigation (see ui/app.py); the page itself is ui/views/why.py."""

from ui.views import why

why.render()
