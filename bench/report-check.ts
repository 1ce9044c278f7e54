/**
 * npm run bench:report-check -- <root>_report.html [--screenshots DIR] [--chromium /usr/bin/chromium]
 *
 * Opens a `nestflow plot` report in headless Chromium (Debian's `chromium`)
 * and checks that every figure is there, laid out at a real size, and drawn
 * (marks inside, not an empty frame); writes a full-page screenshot and one
 * per figure. The test suite runs the same check when Chromium is installed.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

export interface FigureCheck {
  id: string;
  width: number;
  height: number;
  /** Drawn SVG elements with a non-empty box: paths, lines, text. */
  drawn: number;
  /** Text elements inside the figure (titles, tick labels, axis titles). */
  texts: number;
}

export const CHROMIUM_CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

export function findChromium(): string | undefined {
  const env = process.env.CHROMIUM;
  if (env && existsSync(env)) return env;
  return CHROMIUM_CANDIDATES.find((p) => existsSync(p));
}

/** Loads the report and measures each `section.figure`'s SVG. */
export async function checkReport(htmlPath: string, options: { chromium?: string; screenshots?: string } = {}): Promise<{ title: string; figures: FigureCheck[] }> {
  const executablePath = options.chromium ?? findChromium();
  if (!executablePath) throw new Error(`no Chromium found (looked at ${CHROMIUM_CANDIDATES.join(', ')}; set CHROMIUM=/path): install Debian's chromium package`);
  const { launch } = await import('puppeteer-core');
  const browser = await launch({ executablePath, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
  try {
    const page = await browser.newPage();
    await page.setViewport({ width: 1500, height: 1000 });
    await page.goto(pathToFileURL(resolve(htmlPath)).href, { waitUntil: 'load' });
    const title = await page.title();
    const figures = await page.$$eval('section.figure', (sections) =>
      sections.map((s) => {
        const svg = s.querySelector('svg');
        const box = svg?.getBoundingClientRect();
        const drawn = svg ? [...svg.querySelectorAll('path, line, text, rect')].filter((e) => {
          const b = e.getBoundingClientRect();
          return b.width > 0 || b.height > 0;
        }).length : 0;
        return { id: s.id, width: box?.width ?? 0, height: box?.height ?? 0, drawn, texts: svg ? svg.querySelectorAll('text').length : 0 };
      }),
    );
    if (options.screenshots) {
      mkdirSync(options.screenshots, { recursive: true });
      await page.screenshot({ path: join(options.screenshots, 'report.png') as `${string}.png`, fullPage: true });
      for (const f of figures) {
        const el = await page.$(`section#${f.id} svg`);
        if (el) await el.screenshot({ path: join(options.screenshots, `${f.id}.png`) as `${string}.png` });
      }
    }
    return { title, figures };
  } finally {
    await browser.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { screenshots: { type: 'string' }, chromium: { type: 'string' } } });
  const html = positionals[0];
  if (!html) {
    console.error('usage: npm run bench:report-check -- <root>_report.html [--screenshots DIR]');
    process.exit(2);
  }
  const chromium = values.chromium ?? findChromium();
  if (!chromium) {
    console.error('no Chromium here: install Debian\'s chromium package (apt-get install chromium) or set CHROMIUM=/path');
    process.exit(2);
  }
  const r = await checkReport(html, { chromium, ...(values.screenshots ? { screenshots: values.screenshots } : {}) });
  console.log(`${r.title}`);
  console.log('| figure | width px | height px | drawn elements | text elements | ok |');
  console.log('| --- | --- | --- | --- | --- | --- |');
  let ok = true;
  for (const f of r.figures) {
    const good = f.width > 100 && f.height > 100 && f.drawn > 20 && f.texts > 5;
    ok &&= good;
    console.log(`| ${f.id} | ${f.width.toFixed(0)} | ${f.height.toFixed(0)} | ${f.drawn} | ${f.texts} | ${good ? 'yes' : '**no**'} |`);
  }
  if (values.screenshots) console.log(`screenshots in ${values.screenshots}`);
  process.exit(ok && r.figures.length >= 2 ? 0 : 1);
}
