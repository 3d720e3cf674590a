// Drives LHC-Forms (the `lforms` npm package) in headless Chromium for lforms_render.py.
// Usage: node lforms_driver.mjs JOB.json; prints one JSON report on stdout.
// The job names the page to open, the Questionnaire, and the responses to merge or
// the answers to fill in through the form's own widgets, as lforms_render.py writes them.
import fs from 'node:fs';
import { chromium } from 'playwright-core';

const job = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const FLAGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

function walk(items, found = []) {
  for (const item of items || []) {
    found.push(item);
    walk(item.item, found);
  }
  return found;
}

// The Questionnaire without its conditions: every item is then on the page at once.
function unconditional(questionnaire) {
  const copy = JSON.parse(JSON.stringify(questionnaire));
  for (const item of walk(copy.item)) {
    delete item.enableWhen;
    delete item.enableBehavior;
    if (item.extension) {
      item.extension = item.extension.filter((e) => !e.url.endsWith('enableWhenExpression'));
    }
  }
  return copy;
}

async function show(page, questionnaire, response) {
  const options = { fhirVersion: 'R4' };
  if (response) options.questionnaireResponse = response;
  const failed = await page.evaluate(async ([q, o]) => {
    try {
      await LForms.Util.addFormToPage(q, 'form', o);
      return null;
    } catch (e) {
      return JSON.stringify(e, Object.getOwnPropertyNames(e instanceof Error ? e : {}))
        || String(e);
    }
  }, [questionnaire, options]);
  if (failed) throw new Error(`LHC-Forms refused the form: ${failed}`);
}

// What the page shows: for each item of the Questionnaire, whether it is rendered,
// and the text of its label (help items: whether their help button is there).
async function rendered(page, questionnaire) {
  const items = walk(questionnaire.item).map((i) => [i.linkId, i.type]);
  return page.evaluate((items) => {
    const ids = Array.from(document.querySelectorAll('[id]')).map((e) => e.id);
    const report = {};
    for (const [link, type] of items) {
      if (type === 'display') {
        const owner = link.slice(0, -'.help'.length);
        report[link] = { shown: ids.some((id) => id.startsWith(`help-button-${owner}/`)) };
        continue;
      }
      const label = ids.find((id) => id.startsWith(`label-${link}/`));
      const shown = ids.some((id) => id.startsWith(`item-${link}/`));
      report[link] = { shown, label: label ? document.getElementById(label).textContent : '' };
    }
    return report;
  }, items);
}

async function validity(page) {
  return page.evaluate(() => LForms.Util.checkValidity(document.getElementById('form')));
}

async function responseOf(page) {
  return page.evaluate(() =>
    LForms.Util.getFormFHIRData('QuestionnaireResponse', 'R4', document.getElementById('form')));
}

// Answers one question through its widget, as a person would.
async function answer(page, [link, type, values]) {
  const field = page.locator(`[id="${link}/1/1"]`);
  if (type === 'boolean') {
    await page.locator(`[id="${link}/1/1|${values[0]}"]`).check({ force: true });
  } else if (type === 'choice') {
    for (const label of values) {
      await field.click();
      await field.fill('');
      await field.pressSequentially(label);
      // Once the list is filtered down to what was typed, pick the suggestion that is the label.
      const index = await page.waitForFunction((label) => {
        const items = Array.from(document.querySelectorAll('#completionOptions li'));
        const texts = items.map((li) => li.textContent.replace(/^\s*\d+:\s*/, '').trim());
        const filtered = texts.length > 0 && texts.every((t) => t.includes(label));
        return filtered ? texts.indexOf(label) + 1 : 0;
      }, label, { timeout: 10000 });
      await page.locator('#completionOptions li').nth((await index.jsonValue()) - 1).click();
    }
    await page.keyboard.press('Tab');
  } else {
    await field.fill(String(values[0]));
    await page.keyboard.press('Tab');
  }
}

fs.rmSync(job.profile, { recursive: true, force: true });
const context = await chromium.launchPersistentContext(job.profile, {
  headless: true, executablePath: job.chromium, args: FLAGS,
});
const report = { errors: [], merged: {}, filled: {} };
try {
  const page = await context.newPage();
  page.on('pageerror', (e) => report.errors.push(String(e.message)));
  await page.goto(job.page);
  await page.waitForFunction(() => window.LForms && LForms.Util && LForms.FHIR, null,
    { timeout: 60000 });
  report.version = await page.evaluate(() => LForms.lformsVersion);

  await show(page, unconditional(job.questionnaire));
  report.all_items = await rendered(page, job.questionnaire);
  await show(page, job.questionnaire);
  report.empty_validity = await validity(page);

  for (const [name, response] of Object.entries(job.merged)) {
    try {
      await show(page, job.questionnaire, response);
    } catch (e) {
      throw new Error(`scenario ${name}: ${e.message}`);
    }
    const shown = await rendered(page, job.questionnaire);
    report.merged[name] = {
      shown: Object.keys(shown).filter((k) => shown[k].shown),
      response: await responseOf(page),
      validity: await validity(page),
    };
  }
  for (const [name, steps] of Object.entries(job.filled)) {
    await show(page, job.questionnaire);
    for (const step of steps) await answer(page, step);
    const shown = await rendered(page, job.questionnaire);
    report.filled[name] = {
      shown: Object.keys(shown).filter((k) => shown[k].shown),
      response: await responseOf(page),
    };
  }
} finally {
  await context.close();
}
process.stdout.write(JSON.stringify(report));
