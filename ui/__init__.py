"""The Streamlit app of coopdec-expert (presentation only: decisions come from coopdec_expert)."""
