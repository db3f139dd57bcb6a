"""Keyscope's entry point: navigation and the home page. Run ``streamlit run app.py``."""
import streamlit as st

from ui.settings import policy

st.set_page_config(page_title="Keyscope", page_icon="🎼", layout="wide")
if policy().public:  # an uncaught error shows a short note, never a traceback naming install paths
    st.set_option("client.showErrorDetails", "none")


def home() -> None:
    st.title("🎼 Keyscope")
    st.markdown(
        "Find the musical key of recorded music with convolutional networks. "
        "Explore Million Song Dataset metadata, compare spectrograms per key, "
        "train and compare CNNs, and test songs of your own. Every view lives in "
        "the URL: copy the address bar to share what you see."
    )
    for page in PAGES:
        st.page_link(page, label=f"**{page.title}**", icon=page.icon)


PAGES = [  # Predict first: the page most visitors come for
    st.Page("views/predict_page.py", title="Predict", icon="🔮", url_path="predict"),
    st.Page("views/dataset_page.py", title="Dataset", icon="🗂️", url_path="dataset"),
    st.Page("views/spectrograms_page.py", title="Spectrograms", icon="🎛️", url_path="spectrograms"),
    st.Page("views/train_page.py", title="Train", icon="🏋️", url_path="train"),
    st.Page("views/runs_page.py", title="Runs", icon="📊", url_path="runs"),
    st.Page("views/library_page.py", title="Library", icon="🎧", url_path="library"),
]

st.navigation([st.Page(home, title="Home", icon="🏠", default=True), *PAGES]).run()
