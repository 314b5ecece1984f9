// Behaviour every staff page shares, served by the app (the pages' CSP allows no inline
// handlers): a <select data-autosubmit> submits its form when it changes.
document.addEventListener("change", function (event) {
  var target = event.target;
  if (target.matches && target.matches("select[data-autosubmit]") && target.form) {
    target.form.submit();
  }
});

// A <form data-confirm="question"> asks before it submits (removing a member, say).
document.addEventListener("submit", function (event) {
  var form = event.target;
  var question = form.getAttribute && form.getAttribute("data-confirm");
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});

// Tables that become cards on a phone (table.cards): a cell without its own data-label takes
// its column's header, so a column added to a template later still reads "Name: value".
function labelCardCells(table) {
  var heads = table.tHead ? table.tHead.rows[0] : null;
  if (!heads) return;
  var names = Array.prototype.map.call(heads.cells, function (th) {
    return (th.textContent || "").trim();
  });
  Array.prototype.forEach.call(table.tBodies, function (body) {
    Array.prototype.forEach.call(body.rows, function (row) {
      var column = 0;
      Array.prototype.forEach.call(row.cells, function (cell) {
        if (!cell.hasAttribute("data-label") && cell.colSpan === 1 && names[column]) {
          cell.setAttribute("data-label", names[column]);
        }
        column += cell.colSpan;
      });
    });
  });
}

// A region that scrolls sideways must be reachable by keyboard (WCAG 2.1.1): when its content
// overflows and holds nothing focusable, it takes the focus itself and names its table.
function reachScrollRegions() {
  document.querySelectorAll(".scroll, .genealogy").forEach(function (region) {
    var overflows = region.scrollWidth > region.clientWidth + 1;
    if (overflows && !region.hasAttribute("tabindex")) {
      region.setAttribute("tabindex", "0");
      region.setAttribute("data-focusable-scroll", "");
    } else if (!overflows && region.hasAttribute("data-focusable-scroll")) {
      region.removeAttribute("tabindex");
      region.removeAttribute("data-focusable-scroll");
    }
  });
}

document.querySelectorAll("table.cards").forEach(labelCardCells);
reachScrollRegions();
window.addEventListener("resize", reachScrollRegions);
