"""Page script run by st.navigation (see ui/app.py); the page itself is ui/views/screening.py."""

from ui.views import screening

screening.render()
