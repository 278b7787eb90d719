// SPDX-License-Identifier: MIT
/*
 * svg.c - the fabric as a picture: one panel per strategy side by side,
 * every link coloured and labelled by its load against the bound, so that
 * ECMP's hot links and a plan's even spread are seen, not read.
 *
 * Switches sit in rows by tier (cores on top, leaves at the bottom), in
 * node order (pods stay together), NICs in a row under their leaves. A
 * link is drawn once for its two directions, in the colour of the busier:
 * grey when idle, green to yellow up to the bound, orange to red above it
 * (1.5 times the bound and more is dark red), and labelled with that ratio
 * when it is the panel's busiest or above the bound (every link when there
 * are few). Large fabrics: NICs are summed per leaf (one bar, the busiest
 * host link of the leaf); beyond FP_SVG_MAX_LINKS switch links the picture
 * is refused rather than drawn unreadable.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "planner/svg.h"
#include "planner/util.h"

#define PANEL_W		900.0
#define PANEL_H		560.0
#define MARGIN		40.0
#define TOP		90.0

static void colour(double r, char *buf, size_t n)
{
	double x;
	int red, green, blue;

	if (r <= 0) {
		snprintf(buf, n, "#d0d0d0");
		return;
	}
	if (r <= 1) {
		/* green (0.2) to yellow (1.0) */
		x = r < 0.2 ? 0 : (r - 0.2) / 0.8;
		red = (int)(60 + 195 * x);
		green = (int)(170 + 50 * x);
		blue = 60;
	} else {
		/* orange (just above) to dark red (1.5 and more) */
		x = r >= 1.5 ? 1 : (r - 1) / 0.5;
		red = (int)(240 - 90 * x);
		green = (int)(140 - 140 * x);
		blue = (int)(30 - 30 * x);
	}
	snprintf(buf, n, "#%02x%02x%02x", red, green, blue);
}

static void text_esc(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '<')
			fputs("&lt;", f);
		else if (*s == '>')
			fputs("&gt;", f);
		else if (*s == '&')
			fputs("&amp;", f);
		else if (*s == '"')
			fputs("&quot;", f);
		else
			fputc(*s, f);
	}
}

struct layout {
	double *x, *y;		/* per node */
	int tiers[4];		/* switches per tier */
	bool nic_bars;		/* NICs summed per leaf */
};

static void place(const struct fp_topo *t, struct layout *lo)
{
	int seen[4] = { 0 }, i, tier;
	double rowy[4];

	for (i = 0; i < t->nswitches; i++)
		lo->tiers[t->nodes[i].tier]++;
	/* Rows: the top tier first. */
	for (tier = t->max_tier; tier >= 1; tier--)
		rowy[tier] = TOP + (PANEL_H - TOP - 110) * (t->max_tier - tier) /
				   (t->max_tier > 1 ? t->max_tier - 1 : 1);
	for (i = 0; i < t->nswitches; i++) {
		tier = t->nodes[i].tier;
		lo->x[i] = MARGIN + (PANEL_W - 2 * MARGIN) * (seen[tier]++ + 0.5) / lo->tiers[tier];
		lo->y[i] = rowy[tier];
	}
	lo->nic_bars = t->nnodes - t->nswitches > 512;
	/* NICs under their leaf, spread over the leaf's width. */
	{
		int *k = calloc((size_t)t->nnodes, sizeof(int)), *cnt = calloc((size_t)t->nnodes, sizeof(int));
		double w = (PANEL_W - 2 * MARGIN) / (lo->tiers[1] ? lo->tiers[1] : 1);

		for (i = t->nswitches; i < t->nnodes; i++)
			cnt[t->nodes[i].leaf] += !t->nodes[i].is_twin;
		for (i = t->nswitches; i < t->nnodes; i++) {
			int leaf = t->nodes[i].leaf, j;

			if (t->nodes[i].is_twin) {	/* twins follow their NICs: placed */
				lo->x[i] = lo->x[t->nodes[i].twin];
				lo->y[i] = lo->y[t->nodes[i].twin];
				continue;
			}
			j = k[leaf]++;
			lo->x[i] = lo->x[leaf] - w * 0.4 + w * 0.8 * (j + 0.5) / cnt[leaf];
			lo->y[i] = rowy[1] + 70;
		}
		free(k);
		free(cnt);
	}
}

int fp_svg_write(FILE *f, const struct fp_topo *t, const struct fp_svg_panel *p, size_t n,
		 double bound, struct fp_err *err)
{
	struct layout lo = { 0 };
	size_t k;
	int l, nsw = 0, i;
	char c[16];

	for (l = 0; l < t->nlinks; l += 2)
		nsw += !t->nodes[t->links[l].from].is_nic && !t->nodes[t->links[l].to].is_nic;
	if (nsw > FP_SVG_MAX_LINKS)
		return fp_fail(err, EFBIG, "picture: %d switch links, more than the %d a picture can show",
			       nsw, FP_SVG_MAX_LINKS);
	if (!n)
		return fp_fail(err, EINVAL, "picture: no strategy to draw");
	lo.x = fp_xcalloc((size_t)t->nnodes, sizeof(double));
	lo.y = fp_xcalloc((size_t)t->nnodes, sizeof(double));
	place(t, &lo);
	fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" font-family=\"sans-serif\" font-size=\"11\">\n",
		PANEL_W * (double)n, PANEL_H + 40);
	fprintf(f, "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n");
	/* The scale, once: the bound is 1.0. */
	fprintf(f, "<g transform=\"translate(%.0f,%.0f)\">", MARGIN, PANEL_H + 8);
	for (i = 0; i <= 30; i++) {
		double r = i * 0.05;

		colour(r, c, sizeof(c));
		fprintf(f, "<rect x=\"%d\" y=\"0\" width=\"10\" height=\"12\" fill=\"%s\"/>", i * 10, c);
	}
	fprintf(f, "<line x1=\"200\" y1=\"-3\" x2=\"200\" y2=\"16\" stroke=\"black\" stroke-width=\"2\"/>");
	fprintf(f, "<text x=\"0\" y=\"28\">0</text><text x=\"188\" y=\"28\">bound (%.4g s)</text>",
		bound);
	fprintf(f, "<text x=\"290\" y=\"28\">1.5x</text>");
	fprintf(f, "<text x=\"330\" y=\"10\">link load / lower bound; a link's colour is its busier direction</text></g>\n");
	for (k = 0; k < n; k++) {
		const struct fp_svg_panel *pn = &p[k];
		double ox = PANEL_W * (double)k, busiest = 0;
		double *bar = lo.nic_bars ? fp_xcalloc((size_t)t->nnodes, sizeof(double)) : NULL;
		int few = nsw <= 64;

		for (l = 0; l < t->nlinks; l++)
			busiest = pn->load[l] > busiest ? pn->load[l] : busiest;
		fprintf(f, "<g transform=\"translate(%.0f,0)\">\n", ox);
		fprintf(f, "<rect x=\"4\" y=\"4\" width=\"%.0f\" height=\"%.0f\" fill=\"none\" stroke=\"#888\"/>\n",
			PANEL_W - 8, PANEL_H - 8);
		fprintf(f, "<text x=\"%.0f\" y=\"26\" font-size=\"16\" font-weight=\"bold\">", MARGIN);
		text_esc(f, pn->name);
		fprintf(f, "</text><text x=\"%.0f\" y=\"46\">max link load %.4g s = %.3fx the bound",
			MARGIN, pn->max_load, bound > 0 ? pn->max_load / bound : 1);
		if (pn->cct > 0)
			fprintf(f, "; simulated CCT %.4g s", pn->cct);
		fprintf(f, "</text>\n");
		for (l = 0; l < t->nlinks; l += 2) {
			const struct fp_link *lk = &t->links[l];
			double ld = pn->load[l] > pn->load[l + 1] ? pn->load[l] : pn->load[l + 1];
			double r = bound > 0 ? ld / bound : 0;
			int a = lk->from, b = lk->to;
			bool nic = t->nodes[a].is_nic || t->nodes[b].is_nic;

			if (nic && lo.nic_bars) {
				int leaf = t->nodes[a].is_nic ? b : a;

				bar[leaf] = ld > bar[leaf] ? ld : bar[leaf];
				continue;
			}
			colour(r, c, sizeof(c));
			fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"%s\"%s><title>%s - %s: %.4g s, %.3fx the bound</title></line>\n",
				lo.x[a], lo.y[a], lo.x[b], lo.y[b], lk->up ? c : "#000000",
				r > 1 ? "2.5" : "1.5", lk->up ? "" : " stroke-dasharray=\"4,3\"",
				t->nodes[a].name, t->nodes[b].name, ld, r);
			if (!nic && ld > 0 && (few || r > 1 + 1e-9 || ld >= busiest * (1 - 1e-12)))
				fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"9\" fill=\"#333\">%.2f</text>\n",
					(lo.x[a] + lo.x[b]) / 2 + 2, (lo.y[a] + lo.y[b]) / 2, r);
		}
		if (lo.nic_bars) {
			for (i = 0; i < t->nswitches; i++) {
				if (t->nodes[i].tier != 1)
					continue;
				colour(bound > 0 ? bar[i] / bound : 0, c, sizeof(c));
				fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"6\" height=\"40\" fill=\"%s\"><title>host links of %s: busiest %.4g s</title></rect>\n",
					lo.x[i] - 3, lo.y[i] + 12, c, t->nodes[i].name, bar[i]);
			}
		}
		for (i = 0; i < t->nswitches; i++) {
			fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%d\" fill=\"#446\"><title>",
				lo.x[i], lo.y[i], t->nswitches > 200 ? 2 : 4);
			text_esc(f, t->nodes[i].name);
			fprintf(f, "</title></circle>\n");
		}
		if (!lo.nic_bars)
			for (i = t->nswitches; i < t->nnodes; i++) {
				if (t->nodes[i].is_twin)
					continue;
				fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"3\" height=\"3\" fill=\"#668\"><title>",
					lo.x[i] - 1.5, lo.y[i] - 1.5);
				text_esc(f, t->nodes[i].name);
				fprintf(f, "</title></rect>\n");
			}
		fprintf(f, "</g>\n");
		free(bar);
	}
	fprintf(f, "</svg>\n");
	free(lo.x);
	free(lo.y);
	if (fflush(f) || ferror(f))
		return fp_fail(err, EIO, "picture: write error");
	return 0;
}
