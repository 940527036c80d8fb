/**
 * The PDF of a report: its HTML page printed by Chromium (playwright-core), so the PDF and the page
 * are the same document with the same SVG charts (docs/decisions.md, "Report PDF: Chromium prints the
 * HTML"). Chromium is found at CLEARHOUSE_CHROMIUM, else the usual install paths; without one the PDF
 * is refused with a line saying how to get it (the other formats need nothing).
 */
import { existsSync } from 'node:fs';

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome', '/usr/bin/google-chrome-stable'];

/** No Chromium to print with: a usage-level problem the CLI reports in one line. */
export class PdfRendererMissingError extends Error {
  override readonly name = 'PdfRendererMissingError';
}

export function chromiumPath(): string {
  const configured = process.env.CLEARHOUSE_CHROMIUM;
  if (configured) {
    if (!existsSync(configured)) throw new PdfRendererMissingError(`CLEARHOUSE_CHROMIUM=${configured}: no such file`);
    return configured;
  }
  const found = CANDIDATES.find((p) => existsSync(p));
  if (!found) throw new PdfRendererMissingError('--format pdf needs Chromium: install it (apt-get install chromium) or set CLEARHOUSE_CHROMIUM');
  return found;
}

/** Prints `html` (self-contained: no network, no scripts) to an A4 PDF. */
export async function htmlToPdf(html: string): Promise<Uint8Array> {
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: chromiumPath(), args: ['--no-sandbox', '--disable-gpu'] });
  try {
    const page = await browser.newPage({ javaScriptEnabled: false });
    // Nothing leaves the machine: the page is self-contained, any request is refused.
    await page.route('**/*', (route) => route.abort());
    await page.setContent(html, { waitUntil: 'load' });
    return await page.pdf({ format: 'A4', printBackground: true, preferCSSPageSize: true });
  } finally {
    await browser.close();
  }
}
