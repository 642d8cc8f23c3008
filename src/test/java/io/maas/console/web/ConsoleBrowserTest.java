package io.maas.console.web;

import static io.maas.testing.Api.ADMIN_KEY;
import static io.maas.testing.Api.as;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.Keys;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.FluentWait;
import org.openqa.selenium.support.ui.WebDriverWait;

import io.maas.testing.Api;
import io.maas.testing.EmbeddedServicesResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;

/**
 * The console end to end in headless Chromium (Debian's chromium and chromedriver, driven by Selenium) against
 * the running application with its real PostgreSQL and Kafka: an admin logs in, creates a reservation, traffic
 * goes through /v1/chat/completions, the burn-down and the draft invoice follow, last period's invoice is
 * finalized and its CSV downloaded; a tenant member sees only their tenant and gets the 403 page on admin pages.
 * Screenshots of the main pages are written to target/console-screenshots/.
 */
@QuarkusTest
@QuarkusTestResource(value = EmbeddedServicesResource.class, restrictToAnnotatedClass = false)
class ConsoleBrowserTest {
    static final Duration BILLING_WAIT = Duration.ofSeconds(30);

    @TestHTTPResource("/")
    URL base;

    static HeadlessChromium browser;
    static WebDriver driver;
    static Path downloads;

    @BeforeAll
    static void startBrowser() throws IOException {
        browser = new HeadlessChromium();
        driver = browser.driver;
        downloads = browser.downloads;
    }

    @AfterAll
    static void stopBrowser() throws IOException {
        if (browser != null) {
            browser.close();
        }
    }

    private void open(String path) {
        driver.get(base.toString().replaceAll("/$", "") + path);
    }

    /** Waits that outlast a page replacing its elements (a form post reloads the page under a polled element). */
    private static FluentWait<WebDriver> waitUpTo(Duration d) {
        return new WebDriverWait(driver, d).ignoring(StaleElementReferenceException.class);
    }

    private static void screenshot(String name) throws IOException {
        browser.screenshot(name);
    }

    private static String text(String css) {
        return driver.findElement(By.cssSelector(css)).getText();
    }

    private void logIn(String key) {
        open("/console");
        waitUpTo(Duration.ofSeconds(10)).until(d -> d.getCurrentUrl().contains("/console/login"));
        driver.findElement(By.id("api_key")).sendKeys(key);
        driver.findElement(By.id("api_key")).sendKeys(Keys.ENTER);
        waitUpTo(Duration.ofSeconds(10)).until(d -> !d.getCurrentUrl().contains("/console/login"));
    }

    private void logOut() {
        driver.findElement(By.cssSelector("form.logout button")).click();
        waitUpTo(Duration.ofSeconds(10)).until(d -> d.getCurrentUrl().contains("/console/login"));
    }

    private static void setValue(String id, String value) {
        WebElement input = driver.findElement(By.id(id));
        ((JavascriptExecutor) driver).executeScript("arguments[0].value = arguments[1];", input, value);
    }

    private static long tokensOf(String css) {
        return Long.parseLong(driver.findElement(By.cssSelector(css)).getAttribute("data-tokens"));
    }

    private static boolean chartsDrawn() {
        List<WebElement> charts = driver.findElements(By.cssSelector("canvas[data-chart]"));
        return !charts.isEmpty() && charts.stream().allMatch(c -> "true".equals(c.getAttribute("data-drawn")));
    }

    @Test
    void adminRunsTheBusinessAndAMemberSeesOnlyTheirTenant() throws Exception {
        String tenant = Api.newTenant("browser");
        String otherTenant = Api.newTenant("hidden");
        String memberKey = Api.newKey(tenant, "tenant-member");
        YearMonth last = YearMonth.now(ZoneOffset.UTC).minusMonths(1);
        String reservation = "rsv-" + tenant;

        // 1. The admin logs in with the bootstrap key and lands on the overview, charts drawn from local assets.
        logIn(ADMIN_KEY);
        waitUpTo(Duration.ofSeconds(10)).until(d -> d.getCurrentUrl().endsWith("/console/admin"));
        assertTrue(driver.getTitle().startsWith("Overview"), driver.getTitle());
        waitUpTo(Duration.ofSeconds(10)).until(d -> chartsDrawn());
        screenshot("01-admin-overview");

        // Keyboard: the first Tab stop is the skip link, and it leads to the main content.
        driver.findElement(By.tagName("body")).sendKeys(Keys.TAB);
        WebElement focused = driver.switchTo().activeElement();
        assertEquals("Skip to content", focused.getText());

        // 2. It creates a reservation for the tenant, started last month, through the form.
        open("/console/admin/reservations");
        driver.findElement(By.id("tenant_id")).sendKeys(tenant);
        driver.findElement(By.id("id")).sendKeys(reservation);
        driver.findElement(By.id("fee_monthly")).sendKeys("2800");
        driver.findElement(By.id("allowance_tokens")).sendKeys("120");
        driver.findElement(By.id("overage_rate")).sendKeys("1000");
        setValue("starts_at", last.atDay(1) + "T00:00");
        driver.findElement(By.cssSelector("#reservation-form button[type=submit]")).click();
        waitUpTo(Duration.ofSeconds(10)).until(d -> d.getCurrentUrl().contains("created=" + reservation));
        assertTrue(text("#reservation-table").contains(reservation));
        screenshot("02-admin-reservations");

        open("/console/admin/tenants/" + tenant);
        waitUpTo(Duration.ofSeconds(10)).until(d -> chartsDrawn());
        assertEquals(0, tokensOf("#reservation-" + reservation + " .used"));
        String draftBefore = text("#draft-invoice");

        // 3. Traffic through the OpenAI-compatible API, as the tenant's member.
        for (int i = 0; i < 6; i++) {
            as(memberKey).body(Map.of("model", "demo-tiny", "max_tokens", 16,
                    "messages", List.of(Map.of("role", "user", "content", "Tell me about invoices number " + i))))
                    .post("/v1/chat/completions").then().statusCode(200);
        }

        // 4. The burn-down and the draft follow, within the billing pipeline's lag, on a plain reload.
        long deadline = System.nanoTime() + BILLING_WAIT.toNanos();
        long used = 0;
        while (System.nanoTime() < deadline) {
            open("/console/admin/tenants/" + tenant);
            used = tokensOf("#reservation-" + reservation + " .used");
            if (used >= 120 && !text("#draft-invoice").equals(draftBefore)) {
                break;
            }
            Thread.sleep(500);
        }
        assertTrue(used >= 120, "allowance drawn: " + used);
        assertEquals(0, tokensOf("#reservation-" + reservation + " .left"));
        String draftAfter = text("#draft-invoice");
        assertTrue(draftAfter.contains("RESERVATION") || draftAfter.contains("overage") || !draftAfter.equals(draftBefore),
                draftAfter);
        assertFalse(draftAfter.equals(draftBefore), "the draft invoice changed with the new usage");
        waitUpTo(Duration.ofSeconds(10)).until(d -> chartsDrawn());
        screenshot("03-admin-tenant-burn-down");

        // 5. Last period's invoice: finalize it, then download the CSV.
        open("/console/admin/invoices?period=" + last + "&tenant=" + tenant);
        driver.findElement(By.linkText(last.toString())).click();
        waitUpTo(Duration.ofSeconds(10)).until(d -> d.getCurrentUrl().endsWith("/" + tenant + "/" + last));
        assertEquals("draft", text("#invoice-status"));
        driver.findElement(By.id("finalize")).click();
        waitUpTo(Duration.ofSeconds(10)).until(d -> "finalized".equals(text("#invoice-status")));
        assertTrue(text("#invoice-lines").contains("RESERVATION_FEE"));
        screenshot("04-admin-invoice-finalized");
        driver.findElement(By.id("download-csv")).click();
        Path csv = downloads.resolve("invoice-" + tenant + "-" + last + ".csv");
        waitUpTo(Duration.ofSeconds(15)).until(d -> Files.exists(csv));
        String content = Files.readString(csv, StandardCharsets.UTF_8);
        assertTrue(content.startsWith("invoice,tenant,period,status"), content);
        assertTrue(content.contains(",finalized,") && content.contains("RESERVATION_FEE"), content);

        open("/console/admin");
        waitUpTo(Duration.ofSeconds(10)).until(d -> chartsDrawn());
        assertTrue(Long.parseLong(text("#kpi-tokens-today").replace(",", "")) >= used);
        screenshot("05-admin-overview-with-traffic");
        open("/console/admin/adapters");
        screenshot("05-admin-adapters");
        open("/console/admin/invoices?period=" + last);
        screenshot("06-admin-invoices");
        logOut();

        // 6. The tenant member: only their tenant, the 403 page on admin pages.
        logIn(memberKey);
        waitUpTo(Duration.ofSeconds(10)).until(d -> d.getCurrentUrl().endsWith("/console/tenant"));
        waitUpTo(Duration.ofSeconds(10)).until(d -> chartsDrawn());
        String page = driver.getPageSource();
        assertTrue(page.contains(tenant) && page.contains(reservation));
        assertFalse(page.contains(otherTenant));
        assertTrue(driver.findElements(By.linkText("Tenants")).isEmpty(), "no admin navigation for a member");
        screenshot("07-tenant-usage");
        open("/console/admin/tenants");
        assertEquals("Not allowed", text("main h1"));
        assertFalse(driver.getPageSource().contains(otherTenant));
        screenshot("08-member-403");

        // 7. Phone width: the tenant page fits without sideways scrolling of the page itself.
        driver.manage().window().setSize(new Dimension(390, 844));
        open("/console/tenant");
        waitUpTo(Duration.ofSeconds(10)).until(d -> chartsDrawn());
        Object overflow = ((JavascriptExecutor) driver).executeScript(
                "return document.documentElement.scrollWidth - window.innerWidth;");
        assertTrue(((Number) overflow).longValue() <= 1, "page wider than the phone by " + overflow + " px");
        screenshot("09-tenant-phone");
        driver.manage().window().setSize(new Dimension(1366, 900));
        logOut();
    }
}
