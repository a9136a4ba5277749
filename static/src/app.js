// Screening's progressive enhancement. Every page works without this file: it only improves pages.
// Loaded by base.html as <script type="module">, so browsers too old for ES modules never run it (and get the
// plain, non-JavaScript versions of GOV.UK components, as GOV.UK Frontend intends).
import { CharacterCount, initAll } from './govuk-frontend.min.js'

// The same breakpoint as GOV.UK Frontend's "desktop" ($govuk-breakpoints), where the aside sits beside the form.
const DESKTOP = '(min-width: 48.0625em)'

document.body.classList.add('govuk-frontend-supported')
countCodePoints()
initAll()
initArticlePanels()
initPrintButtons()

// GOV.UK's character count counts UTF-16 code units (an emoji is 2), but the server counts characters (code points:
// Python's len(), screening/clinical/validation.py), so the counter counts code points too and agrees with the
// server's "at most N characters". The server normalises line breaks to one "\n", as textarea.value has them.
function countCodePoints () {
  const count = CharacterCount.prototype.count
  CharacterCount.prototype.count = function (text) {
    return this.config.maxwords ? count.call(this, text) : Array.from(text).length
  }
}

// The educational article is one <details> inside <aside data-app-article> (templates/patient/_article.html).
// On wide screens it is shown open as a side panel that scrolls on its own; on narrow ones it stays a closed
// "Learn about ketamine therapy" disclosure. The article is never duplicated in the page.
function initArticlePanels () {
  const asides = document.querySelectorAll('[data-app-article]')
  if (asides.length === 0 || typeof window.matchMedia !== 'function') {
    return
  }
  const desktop = window.matchMedia(DESKTOP)
  asides.forEach((aside) => setPanelMode(aside, desktop.matches, true))
  desktop.addEventListener('change', () => {
    asides.forEach((aside) => setPanelMode(aside, desktop.matches, false))
  })
}

function setPanelMode (aside, wide, initial) {
  const details = aside.querySelector('details')
  if (!details) {
    return
  }
  aside.classList.toggle('app-article--panel', wide)
  // On a narrow screen at load, leave the disclosure as the browser has it (it may have opened it to show
  // a linked section); close it only when a wide window becomes narrow.
  if (wide || !initial) {
    details.open = wide
  }
  if (wide) {
    // The panel scrolls on its own, so keyboard users must be able to focus it to scroll it.
    aside.setAttribute('tabindex', '0')
  } else {
    aside.removeAttribute('tabindex')
  }
}

// "Print this page" (the patient's copy of their answers, templates/patient/your_answers.html): the button is in a
// hidden [data-app-print] box, shown only here, where it can work; the hint about the browser's own Print command
// ([data-app-print-hint]) is for pages without JavaScript. No inline script: the CSP forbids it.
function initPrintButtons () {
  if (typeof window.print !== 'function') {
    return
  }
  document.querySelectorAll('[data-app-print]').forEach((box) => {
    const button = box.querySelector('[data-app-print-button]')
    if (!button) {
      return
    }
    button.addEventListener('click', () => window.print())
    box.hidden = false
    const hint = box.parentElement && box.parentElement.querySelector('[data-app-print-hint]')
    if (hint) {
      hint.hidden = true
    }
  })
}
