// Shared layout on the State's design system (DSFR, decision 0044): every
// page writes its tables as <div class="scroll"><table>…</table></div>; this
// module gives each the DSFR table frame (fr-table, wrapper, container,
// content), so a wide table scrolls inside its own box and never the page.
// It also closes the header's menu (a modal on phones) when a page link in
// it navigates without reloading.

// Wraps one `.scroll` box into the DSFR frame; the box becomes the
// container, the element that scrolls.
function frame(box) {
  const outer = document.createElement('div');
  outer.className = 'fr-table fr-table--multiline';
  // A caption for screen readers only: the DSFR then keeps no room for it.
  if (box.querySelector(':scope > table > caption.sr-only')) outer.classList.add('fr-table--no-caption');
  const wrapper = document.createElement('div');
  wrapper.className = 'fr-table__wrapper';
  const content = document.createElement('div');
  content.className = 'fr-table__content';
  box.replaceWith(outer);
  outer.append(wrapper);
  wrapper.append(box);
  box.classList.add('fr-table__container');
  content.append(...box.childNodes);
  box.append(content);
}

function frameAll(root) {
  for (const box of root.querySelectorAll('div.scroll:not(.fr-table__container)')) frame(box);
}

// Frames the tables `root` shows now and whenever a page or a filter
// redraws them. Call before export.js's watchTables: observers run in the
// order they were registered, and the export button goes after the frame.
export function frameTables(root) {
  frameAll(root);
  new MutationObserver(() => frameAll(root)).observe(root, { childList: true, subtree: true });
}

// The header's menu is a DSFR modal below 992 px: close it after a
// navigation inside the page (the DSFR's own script is loaded as a module,
// window.dsfr, and may not have started yet).
export function closeMenu() {
  const menu = document.getElementById('header-menu');
  if (menu?.classList.contains('fr-modal--opened') && typeof window.dsfr === 'function') {
    window.dsfr(menu).modal.conceal();
  }
}
