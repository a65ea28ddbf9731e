package dev.siglipstream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.siglipstream.testutils.HeadlessChromium;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Assumptions;

/**
 * Renders a tagging report in headless Chromium and checks it against the events it was made from:
 * every event is a card, every image decodes, a chart counts what passes its threshold, moving the
 * threshold recounts, and picking a label with a minimum score shows exactly the images that have it.
 */
final class ReportPage {
    /** What the page was made from, as the page sees it. */
    record Expected(int events, int withImage, String set, String label, List<Double> labelScores, double threshold) {}

    private ReportPage() {}

    /** The page's rounding of a score (4 decimals), so counts compare exactly. */
    static double rounded(double score) {
        return Math.round(score * 1e4) / 1e4;
    }

    static void check(Path html, Expected x, Path screenshot) throws Exception {
        Assumptions.assumeTrue(HeadlessChromium.find().isPresent(), HeadlessChromium::whyMissing);
        try (HeadlessChromium browser = HeadlessChromium.start(Files.createDirectories(screenshot.getParent()), 1400, 1200)) {
            browser.open(html.toUri(), "document.body.dataset.ready === 'true' && [...document.images].every(i => i.complete)");

            assertThat(browser.evaluate("document.querySelectorAll('#grid .card').length").asInt())
                    .as("one card per scored event").isEqualTo(x.events());
            assertThat(browser.evaluate("[...document.querySelectorAll('#grid .card img')].filter(i => i.complete && i.naturalWidth > 0).length").asInt())
                    .as("thumbnails decoded by the browser").isEqualTo(x.withImage());
            assertThat(browser.evaluate("document.querySelectorAll('#grid .card .noimg').length").asInt()).isEqualTo(x.events() - x.withImage());

            String figure = "document.querySelector('figure.hist[data-set=\"" + x.set() + "\"][data-label=\"" + x.label() + "\"]')";
            assertThat(browser.evaluate(figure + ".dataset.pass").asText()).as("images at or above the set's threshold")
                    .isEqualTo(String.valueOf(count(x.labelScores(), x.threshold())));
            assertThat(browser.evaluate(figure + ".querySelectorAll('rect.bin').length").asInt()).isEqualTo(40);

            double moved = pick(x.labelScores());
            browser.evaluate("(() => { const r = document.querySelector('section.set[data-set=\"" + x.set() + "\"] input[type=range]');"
                    + " r.value = '" + moved + "'; r.dispatchEvent(new Event('input')); })()");
            assertThat(browser.evaluate(figure + ".dataset.pass").asText()).as("recounted at threshold " + moved)
                    .isEqualTo(String.valueOf(count(x.labelScores(), moved)));

            // The filters, through their controls: this label only, from a score that splits its images.
            int expected = count(x.labelScores(), moved);
            browser.evaluate("(() => { const l = document.getElementById('f-label');"
                    + " l.value = [...l.options].find(o => o.parentElement.label === '" + x.set() + "' && o.textContent === '" + x.label() + "').value;"
                    + " l.dispatchEvent(new Event('change'));"
                    + " const m = document.getElementById('f-min'); m.value = '" + moved + "'; m.dispatchEvent(new Event('input')); })()");
            assertThat(expected).as("the filter must hide some cards and keep some").isStrictlyBetween(0, x.events());
            assertThat(browser.evaluate("document.querySelectorAll('#grid .card').length").asInt())
                    .as("cards with %s >= %s", x.label(), moved).isEqualTo(expected);
            assertThat(browser.evaluate("[...document.querySelectorAll('#grid .card')].every(c => c.dataset.set === '" + x.set() + "')").asBoolean()).isTrue();
            JsonNode shown = browser.evaluate("[...document.querySelectorAll('#grid .card li.selected .val')].map(v => parseFloat(v.textContent))");
            assertThat(shown).hasSize(expected);
            shown.forEach(v -> assertThat(v.asDouble()).isGreaterThanOrEqualTo(moved - 0.0005));

            // Back to everything, then the picture.
            browser.evaluate("(() => { const l = document.getElementById('f-label'); l.value = ''; l.dispatchEvent(new Event('change'));"
                    + " const m = document.getElementById('f-min'); m.value = '0'; m.dispatchEvent(new Event('input'));"
                    + " const r = document.querySelector('section.set[data-set=\"" + x.set() + "\"] input[type=range]'); r.value = '" + x.threshold() + "'; r.dispatchEvent(new Event('input')); })()");
            assertThat(browser.evaluate("document.querySelectorAll('#grid .card').length").asInt()).isEqualTo(x.events());
            assertThat(browser.evaluate(figure + ".dataset.pass").asText()).isEqualTo(String.valueOf(count(x.labelScores(), x.threshold())));
            browser.screenshot(screenshot, 2400);
        }
        assertThat(Files.size(screenshot)).isGreaterThan(10_000);
    }

    private static int count(List<Double> scores, double atLeast) {
        return (int) scores.stream().filter(s -> s >= atLeast).count();
    }

    /** A threshold on the range input's 0.01 grid that splits the scores as evenly as it can (some pass, some not). */
    private static double pick(List<Double> scores) {
        double best = -1;
        int n = scores.size();
        for (int j = 1; j < 100; j++) {
            double t = Double.parseDouble(String.format(Locale.ROOT, "%.2f", j / 100.0));
            int c = count(scores, t);
            if (c > 0 && c < n && (best < 0 || Math.abs(c - n / 2.0) < Math.abs(count(scores, best) - n / 2.0))) best = t;
        }
        if (best < 0) throw new IllegalArgumentException("no threshold splits these scores: " + scores);
        return best;
    }
}
