"""Page script run by st.navigation (see ui/app.py); the page itself is ui/views/knowledge.py."""

from ui.views import knowledge

knowledge.render()
