//! Reading criterion output, writing CSV, Markdown and SVG, and comparing runs.
