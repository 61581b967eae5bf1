"""Stage 1, the corpus: probing media, downloading the official archives, the synthetic demo data, organizing into a manifest."""
