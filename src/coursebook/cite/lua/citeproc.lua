-- coursebook's citations, formatted by pandoc's own citeproc in one pandoc run.
--
-- The document holds one Div per chapter (class "chapter"), whose citations stand as the
-- lessons wrote them. The plan (a JSON file named by the metadata field coursebook-plan)
-- names the sources, the language and a style for each variant to make ("print", and
-- "screen" for a style that says "Ibid."). Each variant is one citeproc run over every
-- chapter, as pandoc formats a whole book: disambiguation and citation numbers are the
-- book's; positions (first, subsequent, ibid) restart with each chapter, which pandoc does
-- for a Div of classes "section" and "reset-citation-positions"; and note numbers restart
-- too, as the book numbers its notes (each citation in the text a note, each authored note
-- one, its citations sharing its number).

local function nocite(keys)
  local citations = {}
  for _, key in ipairs(keys) do
    citations[#citations + 1] = pandoc.Citation(key, "NormalCitation")
  end
  return pandoc.MetaInlines({ pandoc.Cite({ pandoc.Str("") }, citations) })
end

local function read_file(path)
  local file = assert(io.open(path, "rb"))
  local text = file:read("a")
  file:close()
  return text
end

-- Citations' note numbers, counted from 1 in each chapter.
local function renumber(blocks)
  local count = 0
  local function visit(inlines, note)
    for _, inline in ipairs(inlines) do
      if inline.t == "Cite" then
        if not note then
          count = count + 1
        end
        for _, citation in ipairs(inline.citations) do
          citation.note_num = note or count
        end
      elseif inline.t == "Note" and not note then
        count = count + 1
        for _, block in ipairs(inline.content) do
          if block.content then
            visit(block.content, count)
          end
        end
      end
    end
  end
  for _, block in ipairs(blocks) do
    if block.t == "Para" or block.t == "Plain" then
      visit(block.content, nil)
    end
  end
end

function Pandoc(doc)
  local plan = pandoc.json.decode(read_file(pandoc.utils.stringify(doc.meta["coursebook-plan"])))
  local chapters = pandoc.List()
  for _, block in ipairs(doc.blocks) do
    if block.t == "Div" and block.classes:includes("chapter") then
      renumber(block.content)
      block.classes:insert("section")
      block.classes:insert("reset-citation-positions")
      chapters:insert(block)
    end
  end
  local out = pandoc.List()
  for _, variant in ipairs(plan.variants) do
    local meta = pandoc.Meta({})
    -- The sources files themselves (CSL-JSON, and the book's BibTeX as it is), which pandoc
    -- reads straight into citeproc's references, as --bibliography does: read into metadata
    -- first, they would lose a literal date, a season, a particle's quotes, and BibTeX's
    -- braces that keep a word's case.
    meta.bibliography = plan.bibliography
    meta.csl = plan.styles[variant]
    if plan.lang ~= "" then
      meta.lang = plan.lang
    end
    if #plan.nocite > 0 then -- sources listed though not cited
      meta.nocite = nocite(plan.nocite)
    end
    local done = pandoc.utils.citeproc(pandoc.Pandoc(chapters, meta))
    out:insert(pandoc.Div(done.blocks, pandoc.Attr("variant-" .. variant)))
  end
  return pandoc.Pandoc(out, pandoc.Meta({}))
end
