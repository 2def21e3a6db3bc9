// A penalty explained, its audit trail and the decisions on it (issue 18
// points 3 and 4, decision 0037): /lot/<lot>/penalties/<id>. The figures come
// from the ledger (/lots/<lot>/penalties) and the lot's KPI of the penalty's
// period (/lots/<lot>?period=); the forms POST to the decision endpoints,
// which run the checks of pilotagectl. A decision is shown once the
// projector folded it: the page asks again until it is.
import {
  capitalize, errorMessage, formatCount, formatDay, formatEuroCents, formatKpi, formatTarget, periodLabel,
} from './format.js';

const STATE_CLASSES = { CONFIRMED: 'BREACHED', WAIVED: 'MET', PROPOSED: 'AT_RISK', OBSERVATIONS_RECEIVED: 'AT_RISK' };

// The inputs the job recorded, as [name, value] pairs.
const inputsOf = (p) => (p.inputs || []).flatMap((i) => Object.entries(i));

// POSTs a decision; resolves to { ok, status, body }.
export async function postDecision(path, body, csrf) {
  const res = await fetch(`/api/v1/${path}`, {
    method: 'POST',
    credentials: 'same-origin',
    headers: { ...csrf, 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  let json = null;
  try { json = await res.json(); } catch { /* not JSON */ }
  return { ok: res.ok, status: res.status, body: json };
}

function calculation(p, kpi, esc, lotHref) {
  const rows = [];
  if (kpi) {
    rows.push(['Indicateur', `<a data-nav href="${esc(lotHref)}" data-testid="penalty-kpi-link">${esc(kpi.label)}</a> (${esc(periodLabel(p.period))})`]);
    rows.push(['Résultat', `<span data-testid="penalty-counts">${esc(formatCount(kpi.numerator))} sur ${esc(formatCount(kpi.sample))}</span>`
      + ` soit ${esc(formatKpi(kpi.formula, kpi.value, kpi.sample))}`]);
    rows.push(['Cible', `<span data-testid="penalty-target">${esc(formatTarget(kpi.formula, kpi.direction, kpi.target))}</span>`]);
  }
  rows.push(['Conditions du marché', `<span data-testid="penalty-terms">version ${esc(p.terms_version)}, règle « ${esc(p.rule_label || p.rule_id)} »</span>`
    + (p.rule_label ? ` <span class="note">(${esc(p.rule_id)})</span>` : '')]);
  rows.push(['Formule', `<span data-testid="penalty-formula">${esc(p.formula || '—')}</span>`]);
  // The job's other inputs, named in French (the KPI is shown above).
  for (const [name, value] of inputsOf(p)) if (name !== 'kpi') rows.push([capitalize(name), esc(value)]);
  rows.push(['Montant calculé', esc(formatEuroCents(p.computed_cents))]);
  rows.push(['Seuil et plafond', `<span data-testid="penalty-limit">${esc(p.limit_applied || 'aucun appliqué')}</span>`]);
  rows.push(['Montant proposé', `<strong data-testid="penalty-amount">${esc(formatEuroCents(p.amount_cents))}</strong>`]);
  rows.push(['Données lues', (p.input_offsets || []).length
    ? `<span data-testid="penalty-provenance">${esc(p.input_offsets.map((o) => `${o.topic} partition ${o.partition} jusqu'à l'offset ${o.next_offset}`).join(' ; '))}</span>`
    : 'non enregistrées (proposition antérieure à leur suivi)']);
  return '<div class="scroll"><table data-testid="penalty-calculation"><caption class="sr-only">Calcul de la pénalité</caption><tbody>'
    + rows.map(([k, v]) => `<tr><th scope="row" class="name">${esc(k)}</th><td class="name wrap">${v}</td></tr>`).join('')
    + '</tbody></table></div>';
}

function trail(p, esc) {
  const steps = [`<li>Proposée et notifiée le ${esc(formatDay(p.proposed_on))} ; observations possibles jusqu'au ${esc(formatDay(p.observation_deadline))} inclus.</li>`];
  if (p.observations_on) {
    steps.push(`<li data-testid="trail-observations">Observations de l'opérateur reçues le ${esc(formatDay(p.observations_on))}${p.observations_late ? ' (hors délai)' : ''} : « ${esc(p.observations)} »</li>`);
  }
  if (p.decided_on) {
    steps.push(`<li data-testid="trail-decision">${p.state === 'WAIVED' ? 'Abandonnée' : 'Confirmée'} le ${esc(formatDay(p.decided_on))} par ${esc(p.decided_by)} : « ${esc(p.decision_reason)} »</li>`);
  } else if (p.past_deadline_undecided) {
    steps.push('<li>Délai d\'observations échu : décision à prendre.</li>');
  }
  return `<ol data-testid="penalty-trail">${steps.join('')}</ol>`;
}

function forms(p, meta, esc) {
  const decided = p.state === 'CONFIRMED' || p.state === 'WAIVED';
  if (decided) return '';
  if (meta.principal.role === 'pilot') {
    return '<form id="decision-form" data-testid="decision-form" novalidate>'
      + '<h2>Décider</h2>'
      + '<div class="fr-input-group"><label class="fr-label" for="decision-reason">Motif de la décision (obligatoire)'
      + '<span class="fr-hint-text" id="decision-help">Le motif est communiqué à l\'opérateur et conservé avec la décision.</span></label>'
      + '<textarea class="fr-input" id="decision-reason" name="reason" rows="3" required aria-describedby="decision-help"></textarea></div>'
      + '<ul class="fr-btns-group fr-btns-group--inline-sm actions"><li><button class="fr-btn" type="submit" name="decision" value="confirm" data-testid="confirm">Confirmer la pénalité</button></li>'
      + '<li><button class="fr-btn fr-btn--secondary" type="submit" name="decision" value="waive" data-testid="waive">Abandonner la pénalité</button></li></ul>'
      + '</form>';
  }
  if (meta.today > p.observation_deadline) {
    return `<p class="state">Le délai d'observations a expiré le ${esc(formatDay(p.observation_deadline))}.</p>`;
  }
  return '<form id="observations-form" data-testid="observations-form" novalidate>'
    + '<h2>Adresser des observations</h2>'
    + '<div class="fr-input-group"><label class="fr-label" for="observations-text">Vos observations (obligatoire)'
    + `<span class="fr-hint-text" id="observations-help">Possible jusqu'au ${esc(formatDay(p.observation_deadline))} inclus.</span></label>`
    + '<textarea class="fr-input" id="observations-text" name="text" rows="5" required aria-describedby="observations-help"></textarea></div>'
    + '<ul class="fr-btns-group fr-btns-group--inline-sm actions"><li><button class="fr-btn" type="submit" data-testid="send-observations">Envoyer les observations</button></li></ul>'
    + '</form>';
}

// Renders the page into `app`; resolves to the answer's freshness.
// `ctx`: { app, api, esc, href, lotText, csrf, refresh } from app.js.
export async function penaltyPage(r, meta, ctx) {
  const { app, api, esc, href, csrf } = ctx;
  const ledger = await api(`lots/${encodeURIComponent(r.lot)}/penalties`);
  const p = ledger.penalties.find((x) => x.penalty_id === r.penalty);
  if (!p) {
    app.innerHTML = `<h1 tabindex="-1">Pénalité ${esc(r.penalty)}</h1><p class="state" data-testid="penalty-unknown">Pénalité inconnue pour le lot ${esc(ctx.lotText(r.lot))}.</p>`;
    return ledger.freshness;
  }
  const kpiId = inputsOf(p).find(([name]) => name === 'kpi')?.[1];
  let kpi = null;
  if (kpiId) {
    const lot = await api(`lots/${encodeURIComponent(r.lot)}?period=${encodeURIComponent(p.period)}`);
    kpi = lot.kpis.find((k) => k.id === kpiId) || null;
  }
  const lotHref = href('lot', p.period, r.lot);
  // Named by its rule's label, else its KPI's: not by an id.
  const subject = p.rule_label || kpi?.label || p.rule_id;
  app.innerHTML = `<h1 tabindex="-1">Pénalité — ${esc(subject)}, ${esc(periodLabel(p.period))}</h1>`
    + `<p><a data-nav href="${esc(lotHref)}">Retour au lot ${esc(ctx.lotText(r.lot))}</a> · <span class="note">${esc(p.penalty_id)}</span></p>`
    + `<p>État : <span class="fr-badge fr-badge--sm badge status-${STATE_CLASSES[p.state] || ''}" data-testid="penalty-state">${esc(p.state_label)}</span></p>`
    + `<section><h2>Explication</h2><p data-testid="penalty-explanation">${esc(p.explanation)}</p>${calculation(p, kpi, esc, lotHref)}</section>`
    + `<section><h2>Historique</h2>${trail(p, esc)}</section>`
    + `<section>${forms(p, meta, esc)}<p id="decision-status" role="status" data-testid="decision-status"></p></section>`;
  const status = document.getElementById('decision-status');
  const base = `lots/${encodeURIComponent(r.lot)}/penalties/${encodeURIComponent(p.penalty_id)}`;
  // After an accepted decision, asks the ledger again until the projector
  // folded it (at most a minute), then shows the page anew.
  const awaitFold = async (done) => {
    for (let i = 0; i < 60; i += 1) {
      await new Promise((resolve) => { setTimeout(resolve, 1000); });
      const again = await api(`lots/${encodeURIComponent(r.lot)}/penalties`);
      const now = again.penalties.find((x) => x.penalty_id === p.penalty_id);
      if (now && done(now)) { ctx.refresh(); return; }
    }
    status.textContent += ' Elle n\'est pas encore intégrée : rechargez la page plus tard.';
  };
  const submit = async (form, path, body, field, accepted, done) => {
    const input = form.querySelector('textarea');
    if (!input.value.trim()) {
      input.setAttribute('aria-invalid', 'true');
      status.textContent = `${field} : champ obligatoire.`;
      input.focus();
      return;
    }
    input.removeAttribute('aria-invalid');
    for (const b of form.querySelectorAll('button')) b.disabled = true;
    const res = await postDecision(path, body, csrf);
    if (!res.ok) {
      status.textContent = `Refusé : ${res.body?.error?.detail || errorMessage(res.status)}`;
      for (const b of form.querySelectorAll('button')) b.disabled = false;
      return;
    }
    status.textContent = `${accepted} (événement ${res.body.event_id}).`
      + (res.body.already_recorded ? '' : ' Elle s\'affichera ici une fois intégrée.');
    if (res.body.already_recorded) ctx.refresh(); else awaitFold(done);
  };
  const decision = document.getElementById('decision-form');
  if (decision) {
    decision.onsubmit = (e) => {
      e.preventDefault();
      const which = e.submitter?.value === 'waive' ? 'waive' : 'confirm';
      const reason = document.getElementById('decision-reason').value;
      submit(decision, `${base}/${which}`, { reason }, 'Motif',
        which === 'confirm' ? 'Confirmation transmise' : 'Abandon transmis',
        (x) => x.state === 'CONFIRMED' || x.state === 'WAIVED');
    };
  }
  const observations = document.getElementById('observations-form');
  if (observations) {
    observations.onsubmit = (e) => {
      e.preventDefault();
      const text = document.getElementById('observations-text').value;
      submit(observations, `${base}/observations`, { text }, 'Observations', 'Observations transmises',
        (x) => Boolean(x.observations_on));
    };
  }
  return ledger.freshness;
}
