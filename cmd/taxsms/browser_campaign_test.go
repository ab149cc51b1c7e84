package main

// The broadcasts' pages in the browser: a text composed with its live
// count, checked, approved by a second member of staff, sent through the
// demo node's scheduler, links and simulator, and reported delivered; and a
// flagged text refused approval without the override's reason.

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/chromedp/chromedp"

	"taxsms"
	"taxsms/campaign"
	"taxsms/content"
	"taxsms/remind"
)

// campaignWait bounds the wait for a broadcast to be started by the
// scheduler (a tick every 10 seconds), sent and reported delivered.
const campaignWait = 90 * time.Second

// campaigns runs the broadcasts' subtests, in parallel with each other and
// with the rest of TestConsole_Browser.
func (c *console) campaigns(t *testing.T) {
	author := c.node.account(t, taxsms.RoleCityAdmin)
	approver := c.node.newUser(t, "browser.approver", taxsms.RoleCityAdmin)
	// The audience: the taxpayers assigned to the demo's operator, a few
	// dozen numbers.
	admin := c.node.account(t, taxsms.RoleOperator).Login

	t.Run("ComposeApproveSend", func(t *testing.T) {
		t.Parallel()
		text := "尊敬的{name}：本月征期将于15日结束，请登录电子税务局及时办理增值税、企业所得税纳税申报，逾期将按规定加收滞纳金。如有疑问请致电12366纳税服务热线。"
		if r := content.Default().Check(text); !r.Clean() {
			t.Fatalf("the test's text is flagged: %s", r)
		}
		b := c.tab(t)
		b.signIn(author.Login, author.Password)
		b.navigate(chromedp.Click(chromedp.CSS(`nav a[href="/campaigns"]`)))
		b.waitText("main h1", c.t("zh", "campaign.list_title"))
		b.navigate(chromedp.Click(chromedp.CSS(`main a[href="/campaigns/new"]`)))
		b.waitText("main h1", c.t("zh", "campaign.new_title"))
		c.checkLabels(t, b)

		// The live count while typing equals the server's, signature and
		// opt-out line included.
		b.fill("#compose", map[string]string{"#f-title": "征期申报提醒", "#f-template": text, "#f-admin": admin,
			"#f-emergency_reason": "征期最后一日系统升级，须立即通知"})
		sig := b.attr("#compose", "data-signature")
		received := sig + strings.ReplaceAll(text, "{name}", campaign.Example.Name) + taxsms.OptOutLine
		chars, segs := strconv.Itoa(utf8.RuneCountInString(received)), strconv.Itoa(remind.Segments(received))
		if segs == "1" {
			t.Fatalf("the test's text makes one segment: it should make several")
		}
		b.waitText("#compose-chars", chars)
		b.waitText("#compose-segments", segs)
		if got := b.text("#compose-preview"); got != received {
			t.Errorf("live preview = %q, want %q", got, received)
		}
		b.wait(chromedp.Click(chromedp.CSS("#f-emergency")))
		c.screenshot(t, b, "campaign-compose.png")
		// The server's preview says the same.
		b.navigate(chromedp.Click(chromedp.CSS(`#compose button[value="preview"]`)))
		if got, got2 := b.text("#compose-chars"), b.text("#compose-segments"); got != chars || got2 != segs {
			t.Errorf("the server counts %s characters and %s segments, the page counted %s and %s", got, got2, chars, segs)
		}
		b.navigate(chromedp.Click(chromedp.CSS(`#compose button[value="save"]`)))
		id := campaignID(t, b.path())
		b.waitText("#campaign-state", c.t("zh", "campaign.state.draft"))
		if got := b.text("#campaign-preview"); got != received {
			t.Errorf("the campaign's page shows %q, want %q", got, received)
		}

		// Check and submit.
		b.navigate(chromedp.Click(chromedp.CSS("#campaign-to-check")))
		b.waitText("main h1", c.t("zh", "campaign.check_title"))
		b.waitText("#check-verdict", c.t("zh", "content.clean"))
		recipients, _ := strconv.Atoi(strings.ReplaceAll(b.text("#estimate-recipients"), ",", ""))
		if recipients == 0 {
			t.Fatalf("the estimate counts no recipient")
		}
		c.checkLabels(t, b)
		b.navigate(chromedp.Click(chromedp.CSS(`#submit-form button[type="submit"]`)))
		b.waitText("#campaign-state", c.t("zh", "campaign.state.pending"))
		// The author may not approve it.
		if n := b.count("#campaign-to-approval"); n != 0 {
			t.Errorf("the author is offered the approval page")
		}
		b.open(fmt.Sprintf("/campaigns/%d/approval", id))
		b.waitText("#approval-refused", c.t("zh", "campaign.author_cannot_approve"))

		// A second member of staff approves it.
		a := c.tab(t)
		a.signIn(approver.Login, approver.Password)
		a.open(fmt.Sprintf("/campaigns/%d", id))
		a.navigate(chromedp.Click(chromedp.CSS("#campaign-to-approval")))
		a.waitText("main h1", c.t("zh", "campaign.approval_title"))
		c.checkLabels(t, a)
		a.navigate(chromedp.Click(chromedp.CSS(`#approve-form button[type="submit"]`)))
		a.waitText("#campaign-state", c.t("zh", "campaign.state.approved"))

		// The author schedules it: an emergency goes at once, whatever the
		// hour of the test.
		b.open(fmt.Sprintf("/campaigns/%d", id))
		b.navigate(chromedp.Click(chromedp.CSS(fmt.Sprintf(`form[action="/campaigns/%d/schedule"] button[type="submit"]`, id))))
		b.waitText("#campaign-state", c.t("zh", "campaign.state.scheduled"))

		// The report, reloaded until the simulator's receipts are in.
		b.open(fmt.Sprintf("/campaigns/%d/report", id))
		c.checkLabels(t, b)
		deadline := time.Now().Add(campaignWait)
		for {
			delivered := 0
			if b.count("#report-delivered") > 0 {
				delivered, _ = strconv.Atoi(strings.ReplaceAll(b.text("#report-delivered"), ",", ""))
			}
			if delivered > 0 && b.text("#report-state") == c.t("zh", "campaign.state.completed") {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("after %s: %d delivered, the campaign %q\n%s", campaignWait, delivered, b.text("#report-state"), b.text("main"))
			}
			time.Sleep(time.Second)
			b.open(fmt.Sprintf("/campaigns/%d/report", id))
		}
		if got := b.text("#report-table tbody"); !strings.Contains(got, c.t("zh", "carrier.mobile")) && !strings.Contains(got, c.t("zh", "carrier.unicom")) {
			t.Errorf("the delivery table names no carrier:\n%s", got)
		}
		if n := b.count(fmt.Sprintf(`a#report-xlsx[href="/campaigns/%d/report.xlsx"]`, id)); n != 1 {
			t.Errorf("the report has no link to its workbook")
		}
		// Other subtests change numbers meanwhile, so the count may differ
		// from the estimate's by a duplicate or two.
		if messages, _ := strconv.Atoi(strings.ReplaceAll(b.text("#report-messages"), ",", "")); messages == 0 || messages > recipients+2 {
			t.Errorf("%d messages sent, the estimate said %d recipients", messages, recipients)
		}
		c.screenshot(t, b, "campaign-report.png")
		// The list counts it.
		b.open("/campaigns?state=completed")
		if got := b.text(fmt.Sprintf("#campaign-%d", id)); !strings.Contains(got, "征期申报提醒") {
			t.Errorf("the list of completed broadcasts shows %q", got)
		}
	})

	t.Run("FlaggedNeedsOverride", func(t *testing.T) {
		t.Parallel()
		text := "请及时办理纳税申报，远离赌博，依法纳税。"
		if r := content.Default().Check(text); r.Clean() {
			t.Fatalf("the test's text is not flagged")
		}
		b := c.tab(t)
		b.signIn(author.Login, author.Password)
		b.open("/campaigns/new")
		b.fill("#compose", map[string]string{"#f-title": "内容审查测试", "#f-template": text, "#f-admin": admin})
		b.navigate(chromedp.Click(chromedp.CSS(`#compose button[value="save"]`)))
		id := campaignID(t, b.path())
		b.open(fmt.Sprintf("/campaigns/%d/check", id))
		b.waitText("#check-verdict", c.t("zh", "content.flagged"))
		if got := b.text("#check-text mark.flag"); got != "赌博" {
			t.Errorf("the flag marks %q, want 赌博", got)
		}
		if got := b.attr("#check-text mark.flag", "title"); got != c.t("zh", "content.cat.obscenity_gambling_violence") {
			t.Errorf("the flag's category = %q", got)
		}
		c.screenshot(t, b, "campaign-check.png")
		b.navigate(chromedp.Click(chromedp.CSS(`#submit-form button[type="submit"]`)))
		b.waitText("#campaign-state", c.t("zh", "campaign.state.pending"))

		a := c.tab(t)
		a.signIn(approver.Login, approver.Password)
		a.open(fmt.Sprintf("/campaigns/%d/approval", id))
		// Without a reason: refused, the error beside the field.
		resp := a.navigate(chromedp.Click(chromedp.CSS(`#approve-form button[type="submit"]`)))
		if resp.Status != 400 {
			t.Errorf("approving a flagged text without a reason: %d, want 400", resp.Status)
		}
		if got := a.text("#f-override_reason-error"); !strings.Contains(got, "override_reason") && !strings.Contains(got, "override") {
			t.Errorf("the error beside the reason = %q", got)
		}
		if got := c.node.campaignState(t, id); got != taxsms.CampaignPending {
			t.Errorf("after the refusal the campaign is %s, want pending", got)
		}
		// With one: approved, the override recorded and shown.
		const reason = "“赌博”为反赌宣传用语，经核实无误"
		a.fill("#approve-form", map[string]string{"#f-override_reason": reason})
		a.navigate(chromedp.Click(chromedp.CSS(`#approve-form button[type="submit"]`)))
		a.waitText("#campaign-state", c.t("zh", "campaign.state.approved"))
		if got := a.text("#campaign-override"); !strings.Contains(got, reason) || !strings.Contains(got, approver.Login) {
			t.Errorf("the override shows %q, want the approver and %q", got, reason)
		}
		// Not sent: the author cancels it.
		b.open(fmt.Sprintf("/campaigns/%d", id))
		b.fill(fmt.Sprintf(`form[action="/campaigns/%d/cancel"]`, id), map[string]string{"#f-reason": "仅为测试"})
		b.navigate(chromedp.Click(chromedp.CSS(fmt.Sprintf(`form[action="/campaigns/%d/cancel"] button[type="submit"]`, id))))
		b.waitText("#campaign-state", c.t("zh", "campaign.state.cancelled"))
	})

	// The count compose.js keeps while typing equals the server's at the
	// segment boundaries, with characters outside the BMP (4 octets, never
	// split) and without the opt-out line of an internal notice.
	t.Run("LiveCount", func(t *testing.T) {
		t.Parallel()
		b := c.tab(t)
		b.signIn(author.Login, author.Password)
		b.open("/campaigns/new")
		sig := b.attr("#compose", "data-signature")
		room := 70 - utf8.RuneCountInString(sig+taxsms.OptOutLine) // one segment's characters left for the text
		for _, tt := range []struct {
			name, kind, text string
		}{
			{"OneSegment", "special", strings.Repeat("税", room)},
			{"TwoSegments", "special", strings.Repeat("税", room+1)},
			{"EmojiAtTheCut", "special", strings.Repeat("税", 67-utf8.RuneCountInString(sig)-1) + "😀" + strings.Repeat("税", 10)},
			{"Emoji", "special", "申报😀" + strings.Repeat("税", 100) + "𠀀"},
			{"Internal", "internal", strings.Repeat("税", room+1)},
			{"Spaces", "special", "　 请申报 {office}\t "},
		} {
			t.Run(tt.name, func(t *testing.T) {
				b := b.in(t)
				b.wait(chromedp.SetValue(chromedp.CSS("#f-kind"), tt.kind),
					chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(() => { const e = document.getElementById("f-template"); e.value = %q;
						e.dispatchEvent(new Event("input")); document.getElementById("f-kind").dispatchEvent(new Event("change")); })()`, tt.text)))
				live := [2]string{b.text("#compose-chars"), b.text("#compose-segments")}
				b.navigate(chromedp.Click(chromedp.CSS(`#compose button[value="preview"]`)))
				server := [2]string{b.text("#compose-chars"), b.text("#compose-segments")}
				if live != server {
					t.Errorf("compose.js counts %v (characters, segments), the server %v", live, server)
				}
				tail := taxsms.OptOutLine
				if tt.kind == "internal" {
					tail = ""
				}
				want := sig + strings.TrimSpace(strings.ReplaceAll(tt.text, "{office}", campaign.Example.Office)) + tail
				if w := [2]string{strconv.Itoa(utf8.RuneCountInString(want)), strconv.Itoa(remind.Segments(want))}; server != w {
					t.Errorf("the server counts %v, want %v", server, w)
				}
			})
		}
	})

	t.Run("Rules", func(t *testing.T) {
		t.Parallel()
		b := c.tab(t)
		b.signIn(author.Login, author.Password)
		b.open("/approval-rules")
		b.waitText("main h1", c.t("zh", "campaign.rules_title"))
		c.checkLabels(t, b)
		if got := b.text("#rules tbody tr:first-child"); !strings.Contains(got, c.t("zh", "campaign.rule_default")) {
			t.Errorf("the root office's rule is not the default: %q", got)
		}
	})
}

var campaignPathRE = regexp.MustCompile(`^/campaigns/(\d+)$`)

// campaignID returns the id of the campaign page at path.
func campaignID(t *testing.T, path string) int64 {
	t.Helper()
	m := campaignPathRE.FindStringSubmatch(path)
	if m == nil {
		t.Fatalf("at %q, want a campaign's page", path)
	}
	id, _ := strconv.ParseInt(m[1], 10, 64)
	return id
}

// campaignState returns the stored state of campaign id.
func (n *demoNode) campaignState(t *testing.T, id int64) taxsms.CampaignState {
	t.Helper()
	cm, err := n.db.FindCampaign(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return cm.State
}

// fill types the values of the fields of form (CSS selector → value),
// each emptied first, as submit does, without submitting.
func (b *tab) fill(form string, fields map[string]string) {
	b.t.Helper()
	var steps []chromedp.Action[chromedp.Void]
	for sel, v := range fields {
		field := chromedp.CSS(form + " " + sel)
		steps = append(steps, chromedp.WaitVisible(field),
			chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`document.querySelector(%q).value = ""`, string(field))),
			chromedp.Focus(field), chromedp.KeyEvent(v))
	}
	b.wait(steps...)
}

// checkLabels checks that every field of the page has a label and the page
// one h1, as the Labels subtest does for the other pages.
func (c *console) checkLabels(t *testing.T, b *tab) {
	t.Helper()
	unlabelled := b.eval(`[...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
		.filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label') && !e.getAttribute('aria-labelledby'))
		.map(e => e.name || e.id).join(' ')`)
	if unlabelled != "" {
		t.Errorf("%s: fields without a label: %s", b.path(), unlabelled)
	}
	if n := b.count("h1"); n != 1 {
		t.Errorf("%s: %d h1, want 1", b.path(), n)
	}
}

// screenshot writes the page of b to name in $TAXSMS_SCREENSHOTS, or in a
// new temporary directory, and logs where.
func (c *console) screenshot(t *testing.T, b *tab, name string) {
	t.Helper()
	png, err := chromedp.Run(b.step(), chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	if !bytes.HasPrefix(png, []byte("\x89PNG")) || len(png) < 10_000 {
		t.Fatalf("screenshot: %d bytes, not a PNG of a page", len(png))
	}
	dir := os.Getenv("TAXSMS_SCREENSHOTS")
	if dir == "" {
		if dir, err = os.MkdirTemp("", "taxsms-console-"); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("%s: %s", b.path(), path)
}
