// The accessibility statement (/accessibilite), as the RGAA asks every
// public online service to publish one: what is known of this dashboard's
// conformity and how a user reports a problem. Static text: what the
// automated checks cover is what the browser tests run.
export function accessibilityPage(ctx) {
  ctx.app.innerHTML = `<h1 tabindex="-1">Déclaration d'accessibilité</h1>
<p>Le service de pilotage du conseil en évolution professionnelle s'engage à rendre ce tableau de bord accessible, conformément à
l'article 47 de la loi n° 2005-102 du 11 février 2005. Cette déclaration porte sur le tableau de bord des pilotes nationaux et des
opérateurs (pages nationale, lot, enveloppes, tendances, bilan trimestriel, qualité des données).</p>
<section aria-labelledby="a11y-state"><h2 id="a11y-state">État de conformité</h2>
<p data-testid="a11y-state">Ce tableau de bord est <strong>partiellement conforme</strong> avec le référentiel général d'amélioration de
l'accessibilité (RGAA), version 4.1.</p>
<p>Aucun audit complet de conformité au RGAA n'a encore été réalisé : cet état repose sur les vérifications décrites ci-dessous,
non sur un taux de conformité mesuré.</p></section>
<section aria-labelledby="a11y-checked"><h2 id="a11y-checked">Ce qui est vérifié</h2>
<ul>
<li>À chaque version, des tests automatisés ouvrent chaque page dans Chromium et y exécutent axe-core : aucune violation grave ou
critique n'est acceptée.</li>
<li>Aux largeurs de téléphone (375 et 360 pixels), aucune page ne défile horizontalement ; les tableaux larges défilent dans leur cadre.
Sur un téléphone, les pages s'ouvrent depuis le bouton « Menu » de l'en-tête.</li>
<li>Les statuts sont donnés par un signe et des mots, jamais par la couleur seule ; chaque graphique a un tableau de données ou un
texte équivalent ; un lien d'évitement mène au contenu ; le focus va au titre de la page après une navigation.</li>
<li>Chaque tableau peut être exporté en CSV et chaque bilan trimestriel imprimé ou enregistré en PDF.</li>
</ul></section>
<section aria-labelledby="a11y-known"><h2 id="a11y-known">Contenus non accessibles ou non vérifiés</h2>
<ul>
<li>Les tests automatisés ne détectent qu'une partie des critères du RGAA : navigation au clavier complète, restitution par les
lecteurs d'écran et pertinence des alternatives n'ont pas été évaluées par un audit.</li>
<li>Les graphiques sont des images (canvas) : leurs valeurs ne sont accessibles que par les tableaux et textes qui les accompagnent.</li>
<li>Le bilan enregistré en PDF par le navigateur n'est pas un PDF balisé.</li>
</ul></section>
<section aria-labelledby="a11y-env"><h2 id="a11y-env">Technologies utilisées</h2>
<p>HTML5, CSS, JavaScript ; système de design de l'État (DSFR) pour l'en-tête, le pied de page, les liens d'évitement, les
tableaux, boutons et champs ; Chart.js pour les graphiques. Vérifications faites avec Chromium et axe-core.</p></section>
<section aria-labelledby="a11y-contact"><h2 id="a11y-contact">Retour d'information et contact</h2>
<p>Si vous n'arrivez pas à accéder à un contenu ou à un service, contactez l'équipe nationale de pilotage pour être orienté vers une
alternative accessible ou obtenir le contenu sous une autre forme.</p></section>
<section aria-labelledby="a11y-remedy"><h2 id="a11y-remedy">Voies de recours</h2>
<p>Si vous constatez un défaut d'accessibilité vous empêchant d'accéder à un contenu ou à une fonctionnalité du service, que vous nous
le signalez et que vous ne parvenez pas à obtenir une réponse de notre part, vous pouvez écrire au Défenseur des droits, contacter
son délégué dans votre région, ou lui écrire par courrier (gratuit, sans affranchissement) : Défenseur des droits, Libre réponse 71120,
75342 Paris CEDEX 07.</p></section>`;
}
