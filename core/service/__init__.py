"""What a shared server adds: public-mode rules and the analysis gate, links' state, safe downloads, the analysis worker pool. Imports estimate, audio."""
