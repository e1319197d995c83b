/* Công đoàn TKV: the search page, on Pagefind's index (built after every site build), made in
   parts, one per year or run of months (plugins/search/shards.py): the newest part is loaded
   and the others are merged into it, each marked with its name (a "part" filter), so one search
   covers them all; sorted by date, results are gathered a part at a time, newest (or oldest)
   part first.
   The query is folded like newsroom.text.fold (no accents, đ → d) so "doan", "đoàn" and
   "ĐOÀN" find the same articles; each article page carries the folded spelling of its đ-words. */
const form = document.getElementById("search-form");
const input = document.getElementById("search-q");
const status = document.getElementById("search-status");
const list = document.getElementById("search-results");
const more = document.getElementById("search-more");
const selects = Array.from(form.querySelectorAll("select[data-filter]"));
const sortSelect = document.getElementById("sap-xep");
const PAGE = 10;

export function fold(text) {
  return text.replace(/[đĐ]/g, "d").normalize("NFD").replace(/[\u0300-\u036f]/g, "")
    .replace(/[đĐ]/g, "d").toLowerCase().trim();
}

let pagefind;
let parts = [];
let results = [];
let shown = 0;
let serial = 0;

function load() {
  // One load for every caller: a search asked for while the parts load waits for the same.
  if (!pagefind) {
    let merging = false;
    pagefind = (async () => {
      const base = new URL(form.dataset.bundle, location.href).pathname;
      const listed = await fetch(base + "shards.json", { cache: "no-cache" });
      if (!listed.ok) throw new Error(`shards.json: ${listed.status}`);
      const names = (await listed.json()).parts || [];
      if (!names.length) throw new Error("shards.json: no part");
      merging = true; // from here a second try would merge the parts twice
      const pf = await import(`${base}${names[0]}/pagefind.js`);
      const options = (part) => ({ excerptLength: 24, mergeFilter: { part } });
      await pf.options(options(names[0]));
      await Promise.all(names.slice(1).map((part) => pf.mergeIndex(`${base}${part}/`,
        options(part))));
      parts = names;
      return pf;
    })();
    pagefind.catch(() => { if (!merging) pagefind = undefined; }); // no list yet: try again later
  }
  return pagefind;
}

/* Every result, in the order asked for: by relevance across all parts at once; by date, one
   part after the other (they follow each other in time, newest first), each part's results in
   date order: Pagefind orders merged results by score, and a sort's scores are ranks within
   one part. */
async function find(pf, query, filters, sort) {
  if (!sort) return (await pf.search(query, { filters })).results;
  const desc = sort !== "cu";
  const order = desc ? parts : [...parts].reverse();
  const found = await Promise.all(order.map((part) => pf.search(query, {
    filters: { ...filters, part }, sort: { date: desc ? "desc" : "asc" } })));
  return found.flatMap((f) => f.results);
}

function params() {
  const p = new URLSearchParams(location.search);
  input.value = p.get("q") || "";
  selects.forEach((s) => {
    const want = p.get(s.name) || "";
    s.value = Array.from(s.options).some((o) => o.value === want) ? want : "";
  });
  sortSelect.value = p.get("sort") || "";
}

function chosen() {
  const f = {};
  selects.forEach((s) => { if (s.value) f[s.dataset.filter] = s.value; });
  return f;
}

function element(tag, cls, text) {
  const el = document.createElement(tag);
  if (cls) el.className = cls;
  if (text) el.textContent = text;
  return el;
}

async function render(focus) {
  const batch = results.slice(shown, shown + PAGE);
  const items = await Promise.all(batch.map((r) => r.data()));
  for (const item of items) {
    const li = element("li", "search-result");
    const h = element("h2", "card-title");
    const a = element("a", "", item.meta.title || item.url);
    a.href = item.url;
    h.append(a);
    li.append(h);
    const meta = [item.filters.category && item.filters.category[0], item.meta.date,
      item.filters.unit && item.filters.unit[0]].filter(Boolean).join(" · ");
    if (meta) li.append(element("p", "meta", meta));
    li.append(element("p", "search-summary", item.meta.summary || item.excerpt.replace(/<[^>]+>/g, "")));
    list.append(li);
  }
  if (focus && batch.length) list.children[shown].querySelector("a").focus();
  shown += batch.length;
  more.hidden = shown >= results.length;
}

async function search(push) {
  const mine = ++serial;
  const query = fold(input.value);
  const f = chosen();
  const p = new URLSearchParams();
  if (input.value.trim()) p.set("q", input.value.trim());
  selects.forEach((s) => { if (s.value) p.set(s.name, s.value); });
  if (sortSelect.value) p.set("sort", sortSelect.value);
  if (push) history.replaceState(null, "", p.toString() ? `?${p}` : location.pathname);
  list.textContent = "";
  more.hidden = true;
  if (!query && !Object.keys(f).length) {
    status.textContent = "Nhập từ khóa hoặc chọn bộ lọc để tìm tin bài.";
    return;
  }
  status.textContent = "Đang tìm…";
  let pf;
  try {
    pf = await load();
  } catch (err) {
    status.textContent = "Chưa tải được chỉ mục tìm kiếm. Hãy thử lại sau ít phút.";
    return;
  }
  const found = await find(pf, query || null, f, sortSelect.value);
  if (mine !== serial) return; // a newer search has started
  results = found;
  shown = 0;
  await render();
  if (mine !== serial) return;
  const said = input.value.trim() ? ` cho “${input.value.trim()}”` : "";
  status.textContent = results.length
    ? `Tìm thấy ${results.length} tin bài${said}.`
    : `Không tìm thấy tin bài nào${said}. Hãy thử từ khóa khác hoặc bỏ bớt bộ lọc.`;
}

form.addEventListener("submit", (e) => { e.preventDefault(); search(true); });
selects.concat(sortSelect).forEach((s) => s.addEventListener("change", () => search(true)));
let timer;
input.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(() => search(true), 250); });
more.addEventListener("click", () => render(true)); // keyboard users land on the first new result

params();
const box = document.getElementById("bo-loc");
if (box && (matchMedia("(min-width: 56rem)").matches
    || selects.concat(sortSelect).some((s) => s.value))) box.open = true;
load().then(() => search(false)).catch(() => {
  status.textContent = "Chưa tải được chỉ mục tìm kiếm. Hãy thử lại sau ít phút.";
});
