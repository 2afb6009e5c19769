/*
 * Rule catalog filter: narrows the table on the Rules page by area, level and free text.
 * The table is complete without JavaScript; this script only adds the controls.
 * The filter state is kept in the query string (?area=…&level=…&q=…) so a filtered view can be linked.
 */
(function () {
  "use strict";

  const LEVEL_ORDER = ["MUST", "SHOULD", "MAY"];

  function column(table, name) {
    const cells = Array.from(table.tHead.rows[0].cells);
    return cells.findIndex((cell) => cell.textContent.trim().toLowerCase() === name);
  }

  function distinct(rows, index, order) {
    const seen = [];
    rows.forEach((row) => {
      const value = row.cells[index].textContent.trim();
      if (!seen.includes(value)) seen.push(value);
    });
    return order ? seen.sort((a, b) => order.indexOf(a) - order.indexOf(b)) : seen;
  }

  function select(id, label, all, options, chosen) {
    const wrap = document.createElement("label");
    wrap.className = "rule-filter__field";
    wrap.htmlFor = id;
    wrap.textContent = label;
    const box = document.createElement("select");
    box.id = id;
    box.add(new Option(all, ""));
    options.forEach((value) => box.add(new Option(value, value, false, value === chosen)));
    wrap.appendChild(box);
    return [wrap, box];
  }

  function setup(root) {
    const table = root.querySelector("table");
    if (!table || !table.tHead || !table.tBodies.length || root.dataset.filterReady) return;
    root.dataset.filterReady = "true";
    const rows = Array.from(table.tBodies[0].rows);
    const areaCol = column(table, "area");
    const levelCol = column(table, "level");
    const params = new URLSearchParams(window.location.search);

    const form = document.createElement("form");
    form.className = "rule-filter";
    form.setAttribute("role", "search");
    form.addEventListener("submit", (event) => event.preventDefault());
    const [areaField, area] = select("rule-filter-area", "Area", "All areas", distinct(rows, areaCol), params.get("area"));
    const [levelField, level] = select(
      "rule-filter-level", "Level", "All levels", distinct(rows, levelCol, LEVEL_ORDER), params.get("level"),
    );
    const textField = document.createElement("label");
    textField.className = "rule-filter__field rule-filter__field--text";
    textField.htmlFor = "rule-filter-text";
    textField.textContent = "Search";
    const text = document.createElement("input");
    text.id = "rule-filter-text";
    text.type = "search";
    text.placeholder = "ID, title or engine";
    text.autocomplete = "off";
    text.value = params.get("q") || "";
    textField.appendChild(text);
    const count = document.createElement("output");
    count.className = "rule-filter__count";
    count.setAttribute("aria-live", "polite");
    form.append(areaField, levelField, textField, count);
    root.insertBefore(form, root.firstChild);

    function apply() {
      const terms = text.value.toLowerCase().split(/\s+/).filter(Boolean);
      let shown = 0;
      rows.forEach((row) => {
        const haystack = row.textContent.toLowerCase();
        const visible =
          (!area.value || row.cells[areaCol].textContent.trim() === area.value) &&
          (!level.value || row.cells[levelCol].textContent.trim() === level.value) &&
          terms.every((term) => haystack.includes(term));
        row.hidden = !visible;
        if (visible) shown += 1;
      });
      count.value = shown === rows.length ? `${rows.length} rules` : `${shown} of ${rows.length} rules`;
      const query = new URLSearchParams();
      if (area.value) query.set("area", area.value);
      if (level.value) query.set("level", level.value);
      if (text.value) query.set("q", text.value);
      const search = query.toString();
      window.history.replaceState(null, "", search ? `?${search}` : window.location.pathname);
    }

    [area, level].forEach((box) => box.addEventListener("change", apply));
    text.addEventListener("input", apply);
    apply();
  }

  function init() {
    document.querySelectorAll(".rule-catalog").forEach(setup);
  }

  if (typeof window.document$ !== "undefined") {
    window.document$.subscribe(init);
  } else {
    document.addEventListener("DOMContentLoaded", init);
  }
})();
