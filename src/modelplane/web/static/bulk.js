// The models table's bulk action: "tick every row on this page" and a count of the ticked
// rows. Without it the form still works: tick rows one by one, or choose "all matching".
(function () {
  "use strict";
  const form = document.getElementById("bulk-form");
  const all = document.getElementById("select-page");
  if (!form || !all) return;
  const count = document.getElementById("bulk-count");
  const boxes = () => Array.from(document.querySelectorAll('input[name="ids"][form="bulk-form"]'));
  const show = () => {
    const ticked = boxes().filter((b) => b.checked).length;
    all.checked = ticked > 0 && ticked === boxes().length;
    all.indeterminate = ticked > 0 && !all.checked;
    count.textContent = ticked ? `${ticked} ticked` : "";
  };
  all.hidden = false;
  all.addEventListener("change", () => {
    for (const box of boxes()) box.checked = all.checked;
    show();
  });
  document.addEventListener("change", (event) => {
    if (event.target.name === "ids" && event.target.getAttribute("form") === "bulk-form") show();
  });
  show();
})();
