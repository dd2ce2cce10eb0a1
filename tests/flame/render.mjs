// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Opens a flame graph SVG written by tsend in headless Chromium, the way a
 * user opens the file (a file:// URL, the SVG as the document), and checks
 * what it draws and what its script does:
 *
 *   node render.mjs GRAPH.svg SHOT.png [ZOOM_NAME] [SEARCH_REGEX]
 *
 * ZOOM_NAME is a frame to zoom into (default: the widest frame that leaves
 * room for another at its depth); SEARCH_REGEX defaults to that frame's
 * name. Prints "ok - ..." or "FAIL - ..." per check and exits 1 on any
 * failure, 2 when it cannot run. The browser is Debian's chromium
 * (CHROMIUM overrides the path), with a fresh profile and no network.
 */
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const [svgPath, pngPath, zoomArg, searchArg] = process.argv.slice(2);
if (!svgPath || !pngPath) {
	console.error('usage: node render.mjs GRAPH.svg SHOT.png [ZOOM_NAME] [SEARCH_REGEX]');
	process.exit(2);
}

let failed = 0;
function check(ok, what) {
	console.log(`${ok ? 'ok' : 'FAIL'} - ${what}`);
	if (!ok)
		failed++;
	return ok;
}
const near = (a, b) => Math.abs(a - b) < 0.5;

const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'tsend-chromium-'));
const context = await chromium.launchPersistentContext(profile, {
	executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
	headless: true,
	args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
	       '--disable-background-networking', '--disable-component-update', '--disable-sync'],
	viewport: { width: 1400, height: 900 },
});

try {
	await run(context.pages()[0] || (await context.newPage()));
} catch (e) {
	check(false, `no exception: ${e.message.split('\n')[0]}`);
} finally {
	await context.close();
	fs.rmSync(profile, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);

async function run(page) {
	const errors = [];
	page.on('pageerror', (e) => errors.push(e.message));
	/* the graph must need nothing from outside */
	const fetched = [];
	await page.route(/^(https?|wss?):/, (r) => {
		fetched.push(r.request().url());
		return r.abort();
	});

	let t = Date.now();
	await page.goto(pathToFileURL(path.resolve(svgPath)).href);
	await page.waitForFunction(() => window.tsendFlame, null, { timeout: 30000 });
	console.log(`# loaded in ${Date.now() - t} ms`);
	/* through JSON: Playwright's own serialization of 100k frames takes seconds */
	const flame = async (fn, ...args) => JSON.parse(await page.evaluate(
		([fn, args]) => JSON.stringify(window.tsendFlame[fn](...args) ?? null), [fn, args]));
	const geo = await page.evaluate(() => {
		const g = document.getElementById('frames');
		return { x0: +g.getAttribute('data-x'), w: +g.getAttribute('data-w') };
	});

	await screenshot(page);

	const all = await flame('frames');
	check(all.length > 0 && all.every((f) => f.visible), `${all.length} frames, all visible`);
	check(near(all[0].x, geo.x0) && near(all[0].width, geo.w), 'the root spans the width');

	/* zoom through the hook */
	const target = zoomArg ? all.find((f) => f.name === zoomArg) : pickZoom(all, geo);
	if (!check(!!target, `a frame to zoom into (${zoomArg || 'picked'})`))
		return;
	t = Date.now();
	/* by name the first frame of that name, else by index */
	const key = zoomArg ? target.name : target.index;
	check(await flame('zoom', key), `zoom(${JSON.stringify(key)}): "${target.name}"`);
	console.log(`# zoomed in ${Date.now() - t} ms`);
	await checkZoomed(page, flame, all, target, geo, 'hook');
	await flame('reset');
	await checkReset(flame, all, 'reset()');

	/* search through the hook, checked against the union of the
	 * matching frames' spans computed here */
	const re = searchArg || `^${target.name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`;
	const pct = await flame('search', re);
	const want = await expectedShare(page, re);
	check(typeof pct === 'number' && pct > 0 && pct <= 100, `search(/${re}/) matched ${pct}%`);
	check(Math.abs(pct - want) < 1e-6, `matched share is the union of spans (${want}%)`);
	const shown = await page.evaluate(() => document.getElementById('matched').textContent);
	check(shown === `Matched: ${pct.toFixed(2)}%`, `the graph says "${shown}"`);
	const hl = await page.evaluate(() => {
		const m = [...document.querySelectorAll('#frames > g.m')];
		return { n: m.length,
			 fills: [...new Set(m.map((g) => getComputedStyle(g.querySelector('rect')).fill))] };
	});
	const matching = (await flame('frames')).filter((f) => new RegExp(re).test(f.name));
	check(hl.n === matching.length && hl.n > 0, `${hl.n} matching frames highlighted`);
	check(hl.fills.length === 1 && hl.fills[0] === 'rgb(230, 0, 230)',
	      `highlighted in magenta (${hl.fills.join(', ')})`);
	await flame('clearSearch');
	check((await flame('frames')).every((f) => !f.matched), 'clearSearch() clears');

	/* Ctrl-F asks for the expression in a prompt */
	page.once('dialog', (d) => d.accept(re));
	await page.keyboard.press('Control+f');
	await page.waitForFunction(() => /^Matched/.test(document.getElementById('matched').textContent),
				   null, { timeout: 5000 }).catch(() => {});
	check(await page.evaluate(() => document.getElementById('matched').textContent) === shown,
	      'Ctrl-F searches');
	await page.locator('#clear').click();
	check((await flame('frames')).every((f) => !f.matched), 'a click on "Clear search" clears');

	/* the real handlers: hover and click with the mouse, on a frame wide
	 * enough to point at */
	const wide = pickZoom(all, geo) ||
		     all.filter((f) => f.depth > 0 && f.width >= 2).sort((a, b) => b.depth - a.depth)[0];
	if (!check(wide && wide.width >= 2, `a frame to click (${wide && wide.name})`))
		return;
	const rect = page.locator('#frames > g.f').nth(wide.index).locator('rect');
	await rect.hover();
	const details = await flame('details');
	check(details.startsWith(`${wide.name} (`), `hover shows "${details}"`);
	const tip = await page.locator('#frames > g.f').nth(wide.index).locator('title').textContent();
	check(tip.startsWith(`${wide.name}\n`), 'and its <title> tooltip');
	await rect.click();
	await checkZoomed(page, flame, all, wide, geo, 'click');
	await page.locator('#unzoom').click();
	await checkReset(flame, all, 'a click on "Reset zoom"');

	check(errors.length === 0, `no script errors${errors.length ? ': ' + errors[0] : ''}`);
	check(fetched.length === 0, `nothing fetched${fetched.length ? ': ' + fetched[0] : ''}`);
}

async function screenshot(page) {
	/* fullPage hangs on an SVG document: size the viewport to it instead */
	const size = await page.evaluate(() => ({
		width: Math.ceil(document.documentElement.width.baseVal.value),
		height: Math.ceil(document.documentElement.height.baseVal.value),
	}));
	await page.setViewportSize(size);
	const png = await page.screenshot({ path: pngPath });
	/* decode it in the browser, count its colors */
	const px = await page.evaluate(async (b64) => {
		const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
		const bmp = await createImageBitmap(new Blob([bytes], { type: 'image/png' }));
		const c = new OffscreenCanvas(bmp.width, bmp.height).getContext('2d');
		c.drawImage(bmp, 0, 0);
		const d = new Uint32Array(c.getImageData(0, 0, bmp.width, bmp.height).data.buffer);
		return { w: bmp.width, h: bmp.height, colors: new Set(d).size };
	}, png.toString('base64'));
	check(png.length > 1000 && px.w > 0 && px.h > 0,
	      `screenshot ${pngPath}: ${px.w}x${px.h}, ${png.length} bytes`);
	check(px.colors >= 8, `it is not blank: ${px.colors} colors`);
}

/* The widest frame below the root that leaves another frame beside it. */
function pickZoom(all, geo) {
	return all.filter((f) => f.depth > 0 && f.width < geo.w - 1 &&
			  all.some((g) => g.depth === f.depth && g !== f))
		  .sort((a, b) => b.width - a.width)[0];
}

async function checkZoomed(page, flame, all, target, geo, how) {
	const fr = await flame('frames');
	const z = fr[target.index];
	check(z.visible && near(z.x, geo.x0) && near(z.width, geo.w),
	      `${how}: "${target.name}" spans the width (x ${z.x}, width ${z.width})`);
	const box = await page.locator('#frames > g.f').nth(target.index).locator('rect').boundingBox();
	/* a hovered frame has a 0.5 px outline */
	check(box && Math.abs(box.width - geo.w) <= 1,
	      `${how}: and is drawn so (${box && box.width} px)`);
	/* a graph that is one chain at this depth has nothing beside it */
	const out = fr.filter((f) => f.depth === target.depth && f.index !== target.index);
	const beside = all.some((f) => f.depth === target.depth && f.index !== target.index);
	check(beside ? out.length > 0 && out.every((f) => !f.visible) : out.length === 0,
	      `${how}: ${out.length} frames beside it hidden`);
	const up = fr.filter((f) => f.depth < target.depth);
	check(up.filter((f) => f.visible).length === target.depth &&
	      up.filter((f) => f.visible).every((f) => near(f.width, geo.w) && (f.dimmed || !f.depth)),
	      `${how}: its ${target.depth} ancestors full width, dimmed`);
	const kids = fr.filter((f) => f.depth > target.depth && f.visible);
	check(kids.every((f) => f.x >= geo.x0 - 0.5 && f.x + f.width <= geo.x0 + geo.w + 0.5),
	      `${how}: ${kids.length} frames above it within the width`);
}

async function checkReset(flame, all, how) {
	const fr = await flame('frames');
	check(fr.every((f, i) => f.visible && !f.dimmed && near(f.x, all[i].x) &&
			 near(f.width, all[i].width)), `${how} restores the layout`);
}

/* The share of the total in frames matching re, from the data attributes:
 * the union of their [start, start + value) spans. */
async function expectedShare(page, re) {
	return page.evaluate((re) => {
		const r = new RegExp(re);
		const gs = [...document.querySelectorAll('#frames > g.f')];
		const name = (g) => g.querySelector('title').textContent.split('\n')[0];
		const spans = gs.filter((g) => r.test(name(g)))
				.map((g) => [+g.dataset.s, +g.dataset.s + +g.dataset.v])
				.sort((a, b) => a[0] - b[0]);
		let sum = 0, end = -Infinity;
		for (const [s, e] of spans) {
			if (e > end) {
				sum += e - Math.max(s, end);
				end = e;
			}
		}
		const total = +gs[0].dataset.v;
		return total ? (100 * sum) / total : 0;
	}, re);
}
