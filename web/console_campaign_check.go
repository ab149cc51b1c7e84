package web

import (
	"bytes"
	"net/http"
	"strconv"
	"strings"

	"taxsms"
	"taxsms/auth"
	"taxsms/campaign"
	"taxsms/content"
	"taxsms/store"
)

// The check of a campaign (GET /campaigns/{id}/check) and the approver's
// page (GET /campaigns/{id}/approval): its text with every flag of the
// content check marked where it occurs and counted by category, the text as
// received, and the estimate of what it would send now — recipients,
// duplicates removed, those excluded by reason, segments and cost by
// carrier. The author submits from the first; an approver approves (a
// flagged text with the override's reason) or rejects from the second.
// Then the report (GET /campaigns/{id}/report) and its workbook, and the
// approval rules of the offices.

// excludedReasons are the reasons an estimate excludes contacts for, in
// the order the page lists them.
var excludedReasons = []string{"opted_out", "cancelled", "pending", "suspended"}

// excludedCount is one reason's count.
type excludedCount struct {
	Reason string
	N      int
}

// checkView is what the check and approval pages show.
type checkView struct {
	*campaignView
	Approval bool // the approver's page
	Report   content.Report
	Marked   []markedSpan
	Counts   []content.Count
	Estimate *campaign.Estimate
	Excluded []excludedCount
	// Unestimated is why no estimate could be made (the audience out of
	// reach), translated; "" when there is one.
	Unestimated string
	Approve     *Form
	Reject      *Form
}

// Cost formats thousandths of a yuan as yuan: ¥0.045.
func (checkView) Cost(m int64) string { return "¥" + taxsms.MilliYuan(m).String() }

// handleCampaignCheck serves GET /campaigns/{id}/check and
// /campaigns/{id}/approval.
func (c *Console) handleCampaignCheck(w http.ResponseWriter, r *Request) error {
	v, err := c.loadCampaign(r)
	if err != nil {
		return err
	}
	approval := strings.HasSuffix(r.URL.Path, "/approval")
	return c.renderCheck(w, r, http.StatusOK, v, approval, nil, nil)
}

// renderCheck renders the check page of v (the approver's if approval),
// with the approve and reject forms as posted (nil: empty).
func (c *Console) renderCheck(w http.ResponseWriter, r *Request, status int, v *campaignView, approval bool, approve, reject *Form) error {
	empty := func(fields ...string) *Form {
		return &Form{Values: map[string][]string{}, Errors: map[string]string{}, fields: fields}
	}
	if approve == nil {
		approve = empty("override_reason")
	}
	if reject == nil {
		reject = empty("reason")
	}
	d := &checkView{campaignView: v, Approval: approval, Approve: approve, Reject: reject}
	var err error
	if d.Report, err = c.Campaigns.Check(r.Context(), v.ID); err != nil {
		return err
	}
	d.Marked, d.Counts = markFlags(v.Template, d.Report.Flags), d.Report.Summary()
	d.Estimate, err = c.Campaigns.Estimate(r.Context(), v.ID)
	switch taxsms.ErrorCode(err) {
	case "":
		for _, reason := range excludedReasons {
			if n := d.Estimate.Count.Excluded[reason]; n > 0 {
				d.Excluded = append(d.Excluded, excludedCount{reason, n})
			}
		}
	case taxsms.EINVALID, taxsms.ENOTFOUND, taxsms.EFORBIDDEN:
		d.Estimate, d.Unestimated = nil, c.T(r, "form.error", taxsms.ErrorMessage(err))
	default:
		return err
	}
	title := "campaign.check_title"
	if approval {
		title = "campaign.approval_title"
	}
	c.render(w, r, status, "campaign_check", &Page{Title: title, Data: d})
	return nil
}

// reportView is what the report page shows.
type reportView struct {
	*campaignView
	Rows    []store.CampaignReportRow
	Total   store.CampaignReportRow
	Refresh int // seconds after which the page reloads itself; 0: it does not
}

// campaignRefresh is how often, in seconds, the report of a campaign
// scheduled or sending reloads.
const campaignRefresh = 10

// handleCampaignReport serves GET /campaigns/{id}/report: the progress of
// its messages and their delivery by office and carrier, read afresh;
// while the campaign is scheduled or sending the page reloads itself
// every campaignRefresh seconds (a Refresh header: no script needed).
func (c *Console) handleCampaignReport(w http.ResponseWriter, r *Request) error {
	v, err := c.loadCampaign(r)
	if err != nil {
		return err
	}
	d := &reportView{campaignView: v}
	if d.Rows, err = c.Campaigns.Report(r.Context(), v.ID); err != nil {
		return err
	}
	for _, row := range d.Rows {
		d.Total.Messages += row.Messages
		d.Total.Segments += row.Segments
		d.Total.Delivered += row.Delivered
		d.Total.Failed += row.Failed
		d.Total.Waiting += row.Waiting
		d.Total.Cancelled += row.Cancelled
	}
	if d.State == taxsms.CampaignScheduled || d.State == taxsms.CampaignSending {
		d.Refresh = campaignRefresh
		w.Header().Set("Refresh", strconv.Itoa(campaignRefresh))
	}
	c.render(w, r, http.StatusOK, "campaign_report", &Page{Title: "campaign.report_title", Data: d})
	return nil
}

// handleCampaignExport serves GET /campaigns/{id}/report.xlsx: the report
// as a workbook (campaign.Service.WriteReport, which records the export).
func (c *Console) handleCampaignExport(w http.ResponseWriter, r *Request) error {
	v, err := c.loadCampaign(r)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := c.Campaigns.WriteReport(r.Context(), v.ID, &buf); err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	h.Set("Content-Disposition", `attachment; filename="campaign-`+strconv.FormatInt(v.ID, 10)+`.xlsx"`)
	h.Set("Cache-Control", "no-store")
	w.Write(buf.Bytes())
	return nil
}

// ruleRow is an office with the approval rule it works under.
type ruleRow struct {
	officeRow
	Rule     taxsms.ApprovalRule
	Own      bool   // set on the office itself
	From     string // the office it is inherited from; "" for its own or the default
	Edit     bool   // the user may set it
	Inherits bool   // from an office above (else own or default)
}

// approvalRow returns the rule o works under, as the rules pages show it.
func (c *Console) approvalRow(r *Request, o officeRow, names *officeNamer) (ruleRow, error) {
	rule, from, err := c.DB.ApprovalRule(r.Context(), o.ID)
	if err != nil {
		return ruleRow{}, err
	}
	row := ruleRow{officeRow: o, Rule: rule, Own: from == o.ID, Inherits: from != 0 && from != o.ID,
		Edit: r.Actor.Has(auth.PermManageOffices) && r.Actor.Access(auth.DataOffices).Write.Contains(o.Path, 0)}
	if row.Inherits {
		row.From = names.name(r.Context(), from)
	}
	return row, nil
}

// handleCampaignRules serves GET /approval-rules: the rule each office of
// the user's scope works under, and where it comes from.
func (c *Console) handleCampaignRules(w http.ResponseWriter, r *Request) error {
	if err := requireCampaigns(r); err != nil {
		return err
	}
	tree, err := c.officeTree(r)
	if err != nil {
		return err
	}
	names := c.campaignNamer()
	var rows []ruleRow
	for _, o := range tree {
		row, err := c.approvalRow(r, o, names)
		if err != nil {
			return err
		}
		rows = append(rows, row)
	}
	c.render(w, r, http.StatusOK, "campaign_rules", &Page{Title: "campaign.rules_title", Data: rows})
	return nil
}

// approvalRuleFields are the fields of an office's approval rule.
var approvalRuleFields = []string{"always", "over", "city_wide", "emergency_approval"}

// loadRuleRow returns the office of r's path with its rule.
func (c *Console) loadRuleRow(r *Request) (*ruleRow, error) {
	if err := requireCampaigns(r); err != nil {
		return nil, err
	}
	id, err := r.pathID()
	if err != nil {
		return nil, err
	}
	o, err := c.DB.FindOffice(r.Context(), id)
	if err != nil {
		return nil, err
	}
	row, err := c.approvalRow(r, officeRow{Office: o}, c.campaignNamer())
	return &row, err
}

// approvalRuleForm returns the form of rule.
func approvalRuleForm(r *Request, rule taxsms.ApprovalRule) *Form {
	f := newForm(r, approvalRuleFields...)
	f.Values = map[string][]string{"over": {strconv.Itoa(rule.Over)}}
	for name, on := range map[string]bool{"always": rule.Always, "city_wide": rule.CityWide, "emergency_approval": rule.EmergencyApproval} {
		if on {
			f.Values.Set(name, "on")
		}
	}
	return f
}

// handleCampaignRule serves GET /approval-rules/{id}: an office's rule,
// with its form for those who may set it.
func (c *Console) handleCampaignRule(w http.ResponseWriter, r *Request) error {
	row, err := c.loadRuleRow(r)
	if err != nil {
		return err
	}
	c.render(w, r, http.StatusOK, "campaign_rule", &Page{Title: "campaign.rule_title", Data: row, Form: approvalRuleForm(r, row.Rule)})
	return nil
}

// handleCampaignRuleSave serves POST /approval-rules/{id}: action "save"
// sets the office's own rule, "clear" removes it so that the rule above
// applies (store.SetApprovalRule, audited).
func (c *Console) handleCampaignRuleSave(w http.ResponseWriter, r *Request) error {
	row, err := c.loadRuleRow(r)
	if err != nil {
		return err
	}
	f := newForm(r, approvalRuleFields...)
	rule := taxsms.ApprovalRule{OfficeID: row.ID, Always: f.Get("always") != "", CityWide: f.Get("city_wide") != "",
		EmergencyApproval: f.Get("emergency_approval") != ""}
	if s := f.Get("over"); s != "" {
		if rule.Over, err = strconv.Atoi(s); err != nil {
			f.Fail("over", c.T(r, "campaign.err_over"))
		}
	}
	clear := f.Get("action") == "clear"
	status := http.StatusBadRequest
	if f.OK() {
		err := c.DB.SetApprovalRule(r.Context(), rule, clear)
		if err == nil {
			flash := "campaign.rule_saved"
			if clear {
				flash = "campaign.rule_cleared"
			}
			c.redirect(w, r, "/approval-rules", flash, row.Name)
			return nil
		}
		if status, err = c.campaignFail(r, f, err); err != nil {
			return err
		}
	}
	c.render(w, r, status, "campaign_rule", &Page{Title: "campaign.rule_title", Data: row, Form: f})
	return nil
}
