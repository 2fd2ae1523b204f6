-- Reads each string of a JSON list as a Markdown document (pandoc's -f markdown, on its own)
-- and writes the list of documents as JSON: one pandoc process for a whole corpus.
local texts = pandoc.json.decode(io.read('a'), false)
local docs = {}
for i, text in ipairs(texts) do
  docs[i] = pandoc.json.decode(pandoc.write(pandoc.read(text, 'markdown'), 'json'), false)
end
io.write(pandoc.json.encode(docs))
