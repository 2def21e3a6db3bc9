// The lot page's decisions (issue 18 point 4, decision 0037): a pilot
// records a review (bilan) of the period shown and closes a corrective
// action, through POST /lots/<lot>/reviews and /actions/<id>/close, which run
// the checks of pilotagectl. A step is shown once the projector folded it:
// the page asks the lot again until it is. Operators see why they cannot.
import { errorMessage, formatDay } from './format.js';
import { postDecision } from './penalty.js';

const OPEN_STATES = new Set(['OPEN', 'OVERDUE']);
const lines = (text) => text.split('\n').map((l) => l.trim()).filter(Boolean);

// The reviews recorded for the lot, the latest first.
export function reviewsSection(lot, meta, esc) {
  const reviews = lot.steering?.reviews || [];
  let html = '<section aria-labelledby="reviews-title"><h2 id="reviews-title" tabindex="-1">Bilans</h2>';
  if (!reviews.length) html += '<p class="state" data-testid="no-reviews">Aucun bilan enregistré pour ce lot.</p>';
  else {
    html += '<ul data-testid="reviews">' + reviews.map((r) => `<li data-review="${esc(r.review_id)}">`
      + `<strong>Bilan de ${esc(r.period_label)}, tenu le ${esc(formatDay(r.held_on))}</strong>`
      + (r.findings.length ? `<br>Constats : ${r.findings.map(esc).join(' ; ')}` : '')
      + (r.decisions.length ? `<br>Décisions : ${r.decisions.map(esc).join(' ; ')}` : '')
      + '</li>').join('') + '</ul>';
  }
  if (meta.principal.role !== 'pilot') {
    return `${html}<p class="note" data-testid="decisions-pilots-only">L'enregistrement d'un bilan et la clôture d'une action corrective sont réservés aux pilotes.</p></section>`;
  }
  html += '<form id="review-form" data-testid="review-form" novalidate>'
    + `<h3>Enregistrer un bilan de ${esc(lot.period_label)}</h3>`
    + '<div class="fr-input-group"><label class="fr-label" for="review-held-on">Tenu le</label>'
    + `<input class="fr-input" type="date" id="review-held-on" name="held_on" value="${esc(meta.today)}" max="${esc(meta.today)}" required></div>`
    + '<div class="fr-input-group"><label class="fr-label" for="review-findings">Constats (un par ligne)'
    + '<span class="fr-hint-text" id="review-help">Au moins un constat ou une décision. Le bilan est conservé avec votre identité.</span></label>'
    + '<textarea class="fr-input" id="review-findings" name="findings" rows="3" aria-describedby="review-help"></textarea></div>'
    + '<div class="fr-input-group"><label class="fr-label" for="review-decisions">Décisions (une par ligne)</label>'
    + '<textarea class="fr-input" id="review-decisions" name="decisions" rows="3"></textarea></div>'
    + '<ul class="fr-btns-group fr-btns-group--inline-sm actions"><li><button class="fr-btn" type="submit" data-testid="review-submit">Enregistrer le bilan</button></li></ul>'
    + '</form><p id="review-status" role="status" tabindex="-1" data-testid="review-status"></p>';
  return `${html}</section>`;
}

// The form closing one of the lot's open corrective actions (pilots only).
export function closeActionForm(lot, meta, kpiLabels, esc) {
  const open = (lot.steering?.actions || []).filter((a) => OPEN_STATES.has(a.state));
  if (meta.principal.role !== 'pilot' || !open.length) return '';
  return '<form id="close-form" data-testid="close-form" novalidate>'
    + '<h3>Clôturer une action corrective</h3>'
    + '<div class="fr-select-group"><label class="fr-label" for="close-action">Action</label><select class="fr-select" id="close-action" name="action">'
    + open.map((a) => `<option value="${esc(a.action_id)}">${esc(a.description || kpiLabels[a.kpi_id] || a.action_id)} — échéance ${esc(formatDay(a.due_date))}</option>`).join('')
    + '</select></div>'
    + '<div class="fr-input-group"><label class="fr-label" for="close-evidence">Preuve de réalisation (obligatoire)</label>'
    + '<textarea class="fr-input" id="close-evidence" name="evidence" rows="3" required></textarea></div>'
    + '<div class="fr-input-group"><label class="fr-label" for="close-on">Clôturée le</label>'
    + `<input class="fr-input" type="date" id="close-on" name="closed_on" value="${esc(meta.today)}" max="${esc(meta.today)}" required></div>`
    + '<ul class="fr-btns-group fr-btns-group--inline-sm actions"><li><button class="fr-btn" type="submit" data-testid="close-submit">Clôturer l\'action</button></li></ul>'
    + '</form><p id="close-status" role="status" tabindex="-1" data-testid="close-status"></p>';
}

// Wires the forms of the page just drawn. `ctx`: { api, csrf, refresh }.
export function wireLotForms(r, ctx) {
  const base = `lots/${encodeURIComponent(r.lot)}`;
  const lotNow = () => ctx.api(`${base}?period=${encodeURIComponent(r.period)}`);
  // After an accepted step, asks the lot again until the projector folded
  // it (at most a minute), then draws the page anew and focuses `focusId`.
  const awaitFold = async (status, done, focusId) => {
    for (let i = 0; i < 60; i += 1) {
      await new Promise((resolve) => { setTimeout(resolve, 1000); });
      if (done(await lotNow())) {
        await ctx.refresh();
        document.getElementById(focusId)?.focus();
        return;
      }
    }
    status.textContent += ' Il n\'est pas encore intégré : rechargez la page plus tard.';
  };
  const submit = async (form, status, path, body, accepted, done, focusId) => {
    const buttons = form.querySelectorAll('button');
    for (const b of buttons) b.disabled = true;
    const res = await postDecision(path, body, ctx.csrf);
    if (!res.ok) {
      status.textContent = `Refusé : ${res.body?.error?.detail || errorMessage(res.status)}`;
      status.classList.add('error');
      for (const b of buttons) b.disabled = false;
      status.focus();
      return;
    }
    status.classList.remove('error');
    status.textContent = `${accepted} (événement ${res.body.event_id}). Il s'affichera une fois intégré.`;
    status.focus();
    awaitFold(status, done, focusId);
  };
  const invalid = (status, input, message) => {
    input.setAttribute('aria-invalid', 'true');
    status.textContent = message;
    status.classList.add('error');
    input.focus();
  };

  const review = document.getElementById('review-form');
  if (review) {
    review.onsubmit = (e) => {
      e.preventDefault();
      const status = document.getElementById('review-status');
      const findings = lines(document.getElementById('review-findings').value);
      const decisions = lines(document.getElementById('review-decisions').value);
      const heldOn = document.getElementById('review-held-on').value;
      if (!findings.length && !decisions.length) {
        invalid(status, document.getElementById('review-findings'), 'Constats ou décisions : écrivez au moins un constat ou une décision.');
        return;
      }
      document.getElementById('review-findings').removeAttribute('aria-invalid');
      // The reviews the page shows: the new one is any other.
      const before = new Set([...document.querySelectorAll('li[data-review]')].map((li) => li.dataset.review));
      submit(review, status, `${base}/reviews`, { period: r.period, held_on: heldOn, findings, decisions },
        'Bilan transmis', (l) => l.steering.reviews.some((x) => !before.has(x.review_id)), 'reviews-title');
    };
  }
  const close = document.getElementById('close-form');
  if (close) {
    close.onsubmit = (e) => {
      e.preventDefault();
      const status = document.getElementById('close-status');
      const evidence = document.getElementById('close-evidence');
      if (!evidence.value.trim()) {
        invalid(status, evidence, 'Preuve de réalisation : champ obligatoire.');
        return;
      }
      evidence.removeAttribute('aria-invalid');
      const id = document.getElementById('close-action').value;
      submit(close, status, `${base}/actions/${encodeURIComponent(id)}/close`,
        { evidence: evidence.value, closed_on: document.getElementById('close-on').value },
        'Clôture transmise', (l) => l.steering.actions.some((a) => a.action_id === id && !OPEN_STATES.has(a.state)),
        'actions-title');
    };
  }
}
