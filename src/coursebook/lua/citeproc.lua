-- coursebook's citations, formatted by pandoc's own citeproc in one pandoc run.
--
-- The document holds one Div per chapter (class "chapter"), whose citations are set as the
-- lessons wrote them. The plan (a JSON file named by the metadata field coursebook-plan)
-- says which styles format each chapter and which bibliographies to make. Each chapter is
-- formatted on its own, so that positions (first, subsequent, ibid) and note numbers restart
-- with it; each bibliography is an empty document citing its sources with nocite.
--
-- The sources are given to citeproc as the CSL-JSON file itself (the bibliography field),
-- which pandoc reads straight into citeproc's references. Read into metadata first (the
-- references field), they would pass through pandoc's metadata values, which lose a literal
-- date ("forthcoming" printed as "n.d."), a season, and the quotes that keep a family name's
-- particle ("\"van Happel\"") from being parsed.

local function read_file(path)
  local file = assert(io.open(path, "rb"))
  local text = file:read("a")
  file:close()
  return text
end

local function nocite(keys)
  local citations = {}
  for _, key in ipairs(keys) do
    citations[#citations + 1] = pandoc.Citation(key, "NormalCitation")
  end
  return pandoc.MetaInlines({ pandoc.Cite({ pandoc.Str("") }, citations) })
end

local function formatted(blocks, plan, style, bibliography_keys)
  local meta = pandoc.Meta({})
  meta.bibliography = plan.references
  meta.csl = plan.styles[style]
  if plan.lang ~= "" then
    meta.lang = plan.lang
  end
  if bibliography_keys then
    meta.nocite = nocite(bibliography_keys)
  else
    meta["suppress-bibliography"] = true
  end
  return pandoc.utils.citeproc(pandoc.Pandoc(blocks, meta)).blocks
end

function Pandoc(doc)
  local plan = pandoc.json.decode(read_file(pandoc.utils.stringify(doc.meta["coursebook-plan"])))
  local out = pandoc.List()
  for _, block in ipairs(doc.blocks) do
    if block.t == "Div" and block.classes:includes("chapter") then
      for _, style in ipairs(plan.chapters[block.identifier]) do
        local content = formatted(block.content, plan, style, nil)
        out:insert(pandoc.Div(content, pandoc.Attr(block.identifier .. "--" .. style)))
      end
    end
  end
  for _, bibliography in ipairs(plan.bibliographies) do
    local content = formatted({}, plan, bibliography.style, bibliography.keys)
    out:insert(pandoc.Div(content, pandoc.Attr(bibliography.id)))
  end
  return pandoc.Pandoc(out, pandoc.Meta({}))
end
