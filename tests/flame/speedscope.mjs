// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The total weight speedscope computes for a folded-stacks file ("a;b;c 123"
 * lines, Brendan Gregg's collapsed format), as a reference for ours:
 *
 *   node speedscope.mjs STACKS.folded      prints "total N"
 *
 * The npm package ships only the built web app (dist/release), with its
 * importers inside one minified bundle, so the file goes through the app
 * itself, in headless Chromium, the way speedscope's own command line hands
 * it over: index.html#localProfilePath=F.js, where F.js calls
 * speedscope.loadFileFromBase64(name, data). The name ends in
 * ".collapsedstack.txt", which makes the app use its collapsed-stack
 * importer rather than guess. The total is then read from what the app
 * exports (its "Export" button): a speedscope JSON file whose profiles
 * span [startValue, endValue], endValue being the imported profile's total
 * weight.
 *
 * Exits 0, or 1 with one line on stderr. CHROMIUM overrides the browser,
 * /usr/bin/chromium (Debian's).
 */
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

function fail(msg) {
	console.error(`speedscope: ${msg}`);
	process.exit(1);
}

const input = process.argv[2];
if (!input || process.argv.length > 3)
	fail('usage: node speedscope.mjs STACKS.folded');

const app = path.join(path.dirname(createRequire(import.meta.url).resolve('speedscope/package.json')),
		      'dist', 'release', 'index.html');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tsend-speedscope-'));
let context;

try {
	const data = fs.readFileSync(input);
	const name = `${path.basename(input)}.collapsedstack.txt`;
	const loader = path.join(tmp, 'profile.js');
	fs.writeFileSync(loader, `speedscope.loadFileFromBase64(${JSON.stringify(name)}, ` +
			 `${JSON.stringify(data.toString('base64'))})\n`);

	context = await chromium.launchPersistentContext(path.join(tmp, 'profile'), {
		executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
		headless: true,
		acceptDownloads: true,
		args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
		       '--disable-background-networking', '--disable-component-update',
		       '--disable-sync'],
	});
	const page = context.pages()[0] || (await context.newPage());
	await page.route(/^(https?|wss?):/, (r) => r.abort());
	/* an import that fails shows an alert() */
	const failed = new Promise((_, reject) => {
		page.on('pageerror', reject);
		page.on('dialog', (d) => {
			reject(new Error(`the app says "${d.message()}"`));
			d.dismiss().catch(() => {});
		});
	});
	const imported = page.waitForEvent('console', {
		predicate: (m) => m.text() === 'Importing as collapsed stack format',
		timeout: 60000,
	});

	await page.goto(`${pathToFileURL(app).href}#localProfilePath=${encodeURIComponent(loader)}`);
	await Promise.race([imported, failed]);
	/* the toolbar's "⤴️Export" tab appears with the loaded profile */
	const exportTab = page.locator('div').filter({ hasText: /^\W*Export$/ });
	await Promise.race([exportTab.waitFor({ timeout: 60000 }), failed]);
	const [download] = await Promise.race([
		Promise.all([page.waitForEvent('download'), exportTab.click()]),
		failed,
	]);
	const exported = JSON.parse(fs.readFileSync(await download.path(), 'utf8'));
	if (!exported.profiles || !exported.profiles.length)
		throw new Error('speedscope exported no profile');

	let total = 0;
	for (const p of exported.profiles)
		total += p.endValue - p.startValue;
	console.log(`total ${total}`);
} catch (e) {
	await context?.close();
	fs.rmSync(tmp, { recursive: true, force: true });
	fail(e.message.split('\n')[0]);
}
await context.close();
fs.rmSync(tmp, { recursive: true, force: true });
process.exit(0);
