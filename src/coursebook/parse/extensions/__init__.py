"""Our Python-Markdown extensions, for the parts of pandoc's Markdown that no maintained
extension reads (each module says which it looked at): fenced divs (:mod:`.divs`)."""
