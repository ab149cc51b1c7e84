package importer

import (
	"strings"
	"time"

	"taxsms"
	"taxsms/invoice"
)

var excelEpoch = time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)

// column is one column a kind of file may have.
type column struct {
	name     string   // canonical English name, shown beside the file's header
	aliases  []string // accepted headers besides name, Chinese first
	required bool     // the column must be present (its values may still be optional)
	field    string   // the domain field reported by Validate, if not name
}

// Column indexes into each kind's columns, used by the parsers.
const (
	oCode = iota
	oName
	oParent
	oPhone
	oAddress
)

const (
	uLogin = iota
	uName
	uOffice
	uRole
	uStatus
	uMobile
)

const (
	tIdentifier = iota
	tIDType
	tName
	tOffice
	tAdmin
	tRegStatus
	tRegistered
	tChanged
	tCancelled
	tIndustry
	tTaxTypes
	tRemote
)

const (
	cIdentifier = iota
	cRole
	cName
	cMobile
	cStatus
)

// The columns of obligations, filings and payments: the obligation's key,
// then two columns of each kind's own.
const (
	xIdentifier = iota
	xTaxType
	xPeriod
	xFirst  // filing_due, filed_on or paid_on
	xSecond // payment_due, amount_due or amount_paid
)

const (
	dIdentifier = iota
	dTaxType
	dPeriod
	dAmount
	dResult
	dReason
	dReference
	dAt
)

const (
	iCode = iota
	iNumber
	iKind
	iStatus
	iSellerName
	iSellerID
	iIssuedOn
	iAmount
)

// The key columns of every kind of tax data.
var (
	colTaxpayer = column{name: "identifier", aliases: []string{"纳税人识别号", "统一社会信用代码", "社会信用代码", "识别号", "taxpayer"}, required: true, field: "taxpayer"}
	colTaxType  = column{name: "tax_type", aliases: []string{"税种", "征收项目", "税费种"}, required: true}
	colPeriod   = column{name: "period", aliases: []string{"所属期", "税款所属期", "所属期间", "属期"}, required: true}
)

var columns = [...][]column{
	Offices: {
		oCode:    {name: "code", aliases: []string{"税务机关代码", "机关代码", "代码", "office_code"}, required: true},
		oName:    {name: "name", aliases: []string{"税务机关名称", "机关名称", "名称"}, required: true},
		oParent:  {name: "parent", aliases: []string{"上级税务机关代码", "上级机关代码", "上级代码", "parent_code"}},
		oPhone:   {name: "phone", aliases: []string{"联系电话", "电话", "咨询电话"}},
		oAddress: {name: "address", aliases: []string{"地址", "办公地址"}},
	},
	Users: {
		uLogin:  {name: "login", aliases: []string{"登录账号", "账号", "用户名"}, required: true},
		uName:   {name: "name", aliases: []string{"姓名"}, required: true},
		uOffice: {name: "office", aliases: []string{"所属税务机关代码", "税务机关代码", "office_code"}, required: true},
		uRole:   {name: "role", aliases: []string{"角色"}, required: true},
		uStatus: {name: "status", aliases: []string{"状态"}},
		uMobile: {name: "mobile", aliases: []string{"手机号码", "手机号", "手机"}},
	},
	Taxpayers: {
		tIdentifier: {name: "identifier", aliases: []string{"纳税人识别号", "统一社会信用代码", "社会信用代码", "识别号"}, required: true},
		tIDType:     {name: "id_type", aliases: []string{"识别号类型", "证件类型"}},
		tName:       {name: "name", aliases: []string{"纳税人名称", "名称"}, required: true},
		tOffice:     {name: "office", aliases: []string{"主管税务机关代码", "税务机关代码", "office_code"}, required: true},
		tAdmin:      {name: "admin", aliases: []string{"税收管理员", "税管员账号", "税收管理员账号", "admin_login"}},
		tRegStatus:  {name: "reg_status", aliases: []string{"登记状态", "纳税人状态", "status"}},
		tRegistered: {name: "registered_on", aliases: []string{"登记日期", "税务登记日期", "registered"}},
		tChanged:    {name: "changed_on", aliases: []string{"变更日期", "changed"}},
		tCancelled:  {name: "cancelled_on", aliases: []string{"注销日期", "cancelled"}},
		tIndustry:   {name: "industry", aliases: []string{"行业", "所属行业"}},
		tTaxTypes:   {name: "tax_types", aliases: []string{"税种", "税费种"}},
		tRemote:     {name: "remote_filer", aliases: []string{"网上申报", "网上办税"}},
	},
	Contacts: {
		cIdentifier: {name: "identifier", aliases: []string{"纳税人识别号", "统一社会信用代码", "社会信用代码", "识别号", "taxpayer"}, required: true, field: "taxpayer"},
		cRole:       {name: "role", aliases: []string{"联系人角色", "角色", "身份"}, required: true},
		cName:       {name: "name", aliases: []string{"联系人姓名", "姓名"}},
		cMobile:     {name: "mobile", aliases: []string{"手机号码", "手机号", "手机"}, required: true},
		cStatus:     {name: "status", aliases: []string{"服务状态", "状态"}},
	},
	Obligations: {
		xIdentifier: colTaxpayer, xTaxType: colTaxType, xPeriod: colPeriod,
		xFirst:  {name: "filing_due", aliases: []string{"申报期限", "申报截止日期", "申报截止日", "filing_deadline"}, required: true},
		xSecond: {name: "payment_due", aliases: []string{"缴款期限", "缴款截止日期", "缴款截止日", "payment_deadline"}},
	},
	Filings: {
		xIdentifier: colTaxpayer, xTaxType: colTaxType, xPeriod: colPeriod,
		xFirst:  {name: "filed_on", aliases: []string{"申报日期", "filed", "filing_date"}, required: true},
		xSecond: {name: "amount_due", aliases: []string{"应纳税额", "应缴税额", "应补退税额", "应补(退)税额", "应补（退）税额"}, required: true},
	},
	Payments: {
		xIdentifier: colTaxpayer, xTaxType: colTaxType, xPeriod: colPeriod,
		xFirst:  {name: "paid_on", aliases: []string{"缴款日期", "入库日期", "paid", "payment_date"}, required: true},
		xSecond: {name: "amount_paid", aliases: []string{"实缴金额", "实缴税额", "缴款金额", "入库金额"}, required: true},
	},
	Deductions: {
		dIdentifier: colTaxpayer, dTaxType: colTaxType, dPeriod: colPeriod,
		dAmount:    {name: "amount", aliases: []string{"扣款金额", "金额"}, required: true},
		dResult:    {name: "result", aliases: []string{"扣款结果", "结果", "扣款状态"}, required: true},
		dReason:    {name: "reason", aliases: []string{"失败原因", "原因", "备注"}},
		dReference: {name: "reference", aliases: []string{"流水号", "扣款流水号", "交易流水号", "银行流水号"}, required: true},
		dAt:        {name: "at", aliases: []string{"扣款时间", "扣款日期", "时间", "time"}, required: true},
	},
	FAQ: faqColumns,
	Invoices: {
		iCode:       {name: "code", aliases: []string{"发票代码", "代码", "invoice_code"}},
		iNumber:     {name: "number", aliases: []string{"发票号码", "数电票号码", "号码", "invoice_number"}, required: true},
		iKind:       {name: "kind", aliases: []string{"发票种类", "发票类型", "票种", "type"}},
		iStatus:     {name: "status", aliases: []string{"发票状态", "状态"}, required: true},
		iSellerName: {name: "seller_name", aliases: []string{"销售方名称", "销方名称", "开票方名称", "seller"}, required: true},
		iSellerID:   {name: "seller_id", aliases: []string{"销售方纳税人识别号", "销方识别号", "销售方识别号", "销售方统一社会信用代码"}},
		iIssuedOn:   {name: "issued_on", aliases: []string{"开票日期", "issued", "issue_date"}, required: true},
		iAmount:     {name: "amount", aliases: []string{"价税合计", "价税合计金额", "金额", "total"}},
	},
}

// ErrorHeader is the header of the column that a rejects file adds. A
// column of that name (or "error", "错误") is ignored on import, so a
// corrected rejects file can be imported as it is.
const ErrorHeader = "错误原因"

// headerKey is the form in which headers are compared: without a byte
// order mark, spaces, or the '*' that templates put on required columns,
// and in lower case.
func headerKey(s string) string {
	s = strings.TrimPrefix(s, "\ufeff")
	s = strings.Trim(s, " \t\u3000*＊")
	return strings.ToLower(s)
}

// isErrorHeader reports whether h names a rejects file's error column.
func isErrorHeader(h string) bool {
	switch headerKey(h) {
	case headerKey(ErrorHeader), "错误", "error":
		return true
	}
	return false
}

// enum maps the values accepted in a file, Chinese and English, to one
// domain value.
type enum struct {
	values map[string]string // lower-cased accepted value -> domain value
	want   string            // the list shown when a value is not accepted
}

func newEnum(pairs ...[2]string) enum { // {Chinese, English}
	e := enum{values: make(map[string]string)}
	var zh, en []string
	for _, p := range pairs {
		if p[0] != "" {
			zh = append(zh, p[0])
			e.values[p[0]] = p[1]
		}
		if !containsString(en, p[1]) {
			en = append(en, p[1])
		}
		e.values[p[1]] = p[1]
	}
	e.want = "want one of " + strings.Join(zh, ", ") + " (or " + strings.Join(en, ", ") + ")"
	return e
}

// alias adds further accepted values.
func (e enum) alias(v, domain string) enum {
	e.values[strings.ToLower(v)] = domain
	return e
}

func (e enum) parse(s string) (string, bool) {
	if v, ok := e.values[s]; ok { // most cells are written as listed
		return v, true
	}
	v, ok := e.values[strings.ToLower(s)]
	return v, ok
}

func containsString(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

var (
	userRoles = newEnum(
		[2]string{"市局管理员", string(taxsms.RoleCityAdmin)},
		[2]string{"分局管理员", string(taxsms.RoleBranchAdmin)},
		[2]string{"操作员", string(taxsms.RoleOperator)},
		[2]string{"审计员", string(taxsms.RoleAuditor)},
		[2]string{"运维人员", string(taxsms.RoleMaintainer)},
	).alias("税收管理员", string(taxsms.RoleOperator)).alias("运维", string(taxsms.RoleMaintainer))
	userStatuses = newEnum(
		[2]string{"正常", string(taxsms.UserActive)},
		[2]string{"停用", string(taxsms.UserSuspended)},
	).alias("启用", string(taxsms.UserActive)).alias("暂停", string(taxsms.UserSuspended))
	contactRoles = newEnum(
		[2]string{"法定代表人", string(taxsms.RoleLegalRep)},
		[2]string{"财务负责人", string(taxsms.RoleFinance)},
		[2]string{"财务主管", string(taxsms.RoleFinanceChief)},
		[2]string{"办税人员", string(taxsms.RoleTaxClerk)},
	).alias("法人", string(taxsms.RoleLegalRep)).alias("办税员", string(taxsms.RoleTaxClerk))
	serviceStatuses = newEnum(
		[2]string{"待开通", string(taxsms.ServicePending)},
		[2]string{"已开通", string(taxsms.ServiceActive)},
		[2]string{"已取消", string(taxsms.ServiceCancelled)},
		[2]string{"已退订", string(taxsms.ServiceOptedOut)},
	).alias("开通", string(taxsms.ServiceActive)).alias("正常", string(taxsms.ServiceActive)).
		alias("取消", string(taxsms.ServiceCancelled)).alias("退订", string(taxsms.ServiceOptedOut))
	regStatuses = newEnum(
		[2]string{"正常", string(taxsms.RegRegistered)},
		[2]string{"变更", string(taxsms.RegChanged)},
		[2]string{"注销", string(taxsms.RegCancelled)},
	)
	idTypes = newEnum(
		[2]string{"统一社会信用代码", string(taxsms.IDUSCC)},
		[2]string{"居民身份证", string(taxsms.IDResident)},
		[2]string{"15位识别号", string(taxsms.IDOld15)},
		[2]string{"20位识别号", string(taxsms.IDOld20)},
	).alias("身份证", string(taxsms.IDResident))
	deductionResults = newEnum(
		[2]string{"成功", string(taxsms.DeductionOK)},
		[2]string{"失败", string(taxsms.DeductionFailed)},
	).alias("扣款成功", string(taxsms.DeductionOK)).alias("扣款失败", string(taxsms.DeductionFailed)).
		alias("ok", string(taxsms.DeductionOK)).alias("fail", string(taxsms.DeductionFailed))
	invoiceStatuses = newEnum(
		[2]string{"正常", string(invoice.StatusValid)},
		[2]string{"作废", string(invoice.StatusVoid)},
		[2]string{"红冲", string(invoice.StatusReversed)},
		[2]string{"异常", string(invoice.StatusAbnormal)},
	).alias("有效", string(invoice.StatusValid)).alias("已作废", string(invoice.StatusVoid)).
		alias("已红冲", string(invoice.StatusReversed)).alias("全额红冲", string(invoice.StatusReversed)).
		alias("red-reversed", string(invoice.StatusReversed)).alias("异常凭证", string(invoice.StatusAbnormal))
	invoiceKinds = newEnum(
		[2]string{"增值税专用发票", string(invoice.KindSpecial)},
		[2]string{"增值税普通发票", string(invoice.KindOrdinary)},
		[2]string{"货物运输业增值税专用发票", string(invoice.KindFreight)},
		[2]string{"增值税普通发票（卷式）", string(invoice.KindRoll)},
		[2]string{"增值税电子专用发票", string(invoice.KindESpecial)},
		[2]string{"增值税电子普通发票", string(invoice.KindEOrdinary)},
		[2]string{"通行费电子普通发票", string(invoice.KindToll)},
		[2]string{"机动车销售统一发票", string(invoice.KindMotor)},
		[2]string{"通用发票", string(invoice.KindGeneral)},
		[2]string{"数电票（增值税专用发票）", string(invoice.KindDigitalSpecial)},
		[2]string{"数电票（普通发票）", string(invoice.KindDigitalOrdinary)},
		[2]string{"数电票", string(invoice.KindDigital)},
		[2]string{"其他", string(invoice.KindOther)},
	).alias("数电专票", string(invoice.KindDigitalSpecial)).alias("数电普票", string(invoice.KindDigitalOrdinary)).
		alias("全电发票", string(invoice.KindDigital)).alias("增值税普通发票(卷式)", string(invoice.KindRoll))
	booleans = func() enum {
		e := newEnum([2]string{"是", "true"}, [2]string{"否", "false"}).
			alias("yes", "true").alias("no", "false").alias("1", "true").alias("0", "false").
			alias("y", "true").alias("n", "false")
		e.want = "want 是 or 否 (or yes/no, true/false, 1/0)"
		return e
	}()
)
