// Package synth writes a realistic synthetic city for demos, tests and
// benchmarks: a municipal tax bureau with its district branches and a few
// sub-offices, about forty staff, and any number of taxpayers with their
// contacts, as the four CSV files that package importer reads (Chinese
// headers, UTF-8 with a byte order mark).
//
// Everything is decided by Config.Seed through math/rand/v2's PCG, so the
// same Config always gives the same bytes. Files are written as they are
// generated: a million taxpayers need a few megabytes of memory and a few
// seconds.
//
// Identifiers (unified social credit codes, resident ids, old 15-character
// numbers) pass taxsms.ValidateIdentifier and are unique; mobile numbers pass
// taxsms.NormalizeMobile and are unique across staff and contacts, but for
// the bookkeeping agencies' (Config.Agencies). Names,
// addresses and phone numbers are made up; any resemblance to a real
// enterprise or person is chance. Known limits: at most 4 contacts per
// taxpayer (one per role) and at most 10,000,000 taxpayers.
package synth

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"taxsms"
)

// MaxTaxpayers is the largest Config.Taxpayers that Write accepts.
const MaxTaxpayers = 10_000_000

// Config says what city to make. The zero Config is a valid small city of
// no taxpayers.
type Config struct {
	Seed        uint64 // the same Seed gives the same files
	Taxpayers   int    // number of taxpayers, 0 to MaxTaxpayers
	ContactsPer int    // contacts per taxpayer, 0 to 4; 0 means 2
	NoContacts  bool   // write an empty contacts file (header only)
	// Agencies, if not zero, is how many bookkeeping agencies keep the
	// books of small taxpayers: about a fifth of the tax clerks (办税人员)
	// are an agency's, and hold its number, which many contacts then
	// share.
	Agencies int

	// Period, if set, adds the tax data of that period. Every taxpayer not
	// cancelled has an obligation for each of its tax types filed by such
	// a period (monthly: 增值税, 个人所得税 and the surcharges; quarterly:
	// 企业所得税, 印花税, 房产税, 城镇土地使用税; annual: 企业所得税 and
	// 个人所得税), due on FilingDue. About 80% of them are filed (a fifth
	// of those as nil returns) between the period's end and the deadline;
	// of the filings with tax due, about 90% are paid in full, 3% in part
	// and 7% not at all. About one filing in twenty has a treasury
	// deduction record, of which a fifth failed (about 1% of obligations).
	Period taxsms.Period
	// FilingDue is the period's filing and payment deadline; by default
	// the 15th of the month after a month or quarter, and 31 May of the
	// next year for a year (not moved for weekends and holidays).
	FilingDue taxsms.Date
}

// Files holds the paths Write wrote, in the order they must be imported.
// The tax data files are "" unless Config.Period is set.
type Files struct {
	Offices     string // offices.csv
	Users       string // users.csv
	Taxpayers   string // taxpayers.csv
	Contacts    string // contacts.csv
	Obligations string // obligations.csv
	Filings     string // filings.csv
	Payments    string // payments.csv
	Deductions  string // deductions.csv
}

// Headers of the four files; they are the Chinese headers importer accepts.
var (
	OfficeHeader   = []string{"税务机关代码", "税务机关名称", "上级税务机关代码", "联系电话", "地址"}
	UserHeader     = []string{"登录账号", "姓名", "所属税务机关代码", "角色", "状态", "手机号码"}
	TaxpayerHeader = []string{"纳税人识别号", "纳税人名称", "主管税务机关代码", "税收管理员", "登记状态", "登记日期", "变更日期", "注销日期", "行业", "税种", "网上申报"}
	ContactHeader  = []string{"纳税人识别号", "联系人角色", "联系人姓名", "手机号码", "服务状态"}

	ObligationHeader = []string{"纳税人识别号", "税种", "所属期", "申报期限", "缴款期限"}
	FilingHeader     = []string{"纳税人识别号", "税种", "所属期", "申报日期", "应纳税额"}
	PaymentHeader    = []string{"纳税人识别号", "税种", "所属期", "缴款日期", "实缴金额"}
	DeductionHeader  = []string{"纳税人识别号", "税种", "所属期", "扣款金额", "扣款结果", "失败原因", "流水号", "扣款时间"}
)

// Write creates dir if needed and writes offices.csv, users.csv,
// taxpayers.csv and contacts.csv into it, replacing files of those names.
// It returns an error for a Config out of range or a failed write; files
// written before a failure are left in place.
func Write(dir string, cfg Config) (Files, error) {
	if cfg.Taxpayers < 0 || cfg.Taxpayers > MaxTaxpayers {
		return Files{}, fmt.Errorf("synth: taxpayers %d: want 0 to %d", cfg.Taxpayers, MaxTaxpayers)
	}
	if cfg.ContactsPer == 0 {
		cfg.ContactsPer = 2
	}
	if cfg.ContactsPer < 0 || cfg.ContactsPer > len(taxsms.ContactRoles) {
		return Files{}, fmt.Errorf("synth: contacts per taxpayer %d: want 1 to %d", cfg.ContactsPer, len(taxsms.ContactRoles))
	}
	if cfg.Agencies < 0 {
		return Files{}, fmt.Errorf("synth: agencies %d: want 0 or more", cfg.Agencies)
	}
	if cfg.Period != "" && !cfg.Period.Valid() {
		return Files{}, fmt.Errorf("synth: period %q: want 2026-11, 2026Q3 or 2025", cfg.Period)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return Files{}, fmt.Errorf("synth: %w", err)
	}
	fs := Files{
		Offices:   filepath.Join(dir, "offices.csv"),
		Users:     filepath.Join(dir, "users.csv"),
		Taxpayers: filepath.Join(dir, "taxpayers.csv"),
		Contacts:  filepath.Join(dir, "contacts.csv"),
	}
	g := newGen(cfg)
	if err := writeFile(fs.Offices, OfficeHeader, g.offices); err != nil {
		return fs, err
	}
	if err := writeFile(fs.Users, UserHeader, g.users); err != nil {
		return fs, err
	}
	tf, err := create(fs.Taxpayers, TaxpayerHeader)
	if err != nil {
		return fs, err
	}
	defer tf.close()
	cf, err := create(fs.Contacts, ContactHeader)
	if err != nil {
		return fs, err
	}
	defer cf.close()
	var tax *taxWriter
	if cfg.Period != "" {
		fs.Obligations = filepath.Join(dir, "obligations.csv")
		fs.Filings = filepath.Join(dir, "filings.csv")
		fs.Payments = filepath.Join(dir, "payments.csv")
		fs.Deductions = filepath.Join(dir, "deductions.csv")
		tax = newTaxWriter(cfg)
		defer tax.close()
		for i, f := range []struct {
			path   string
			header []string
		}{{fs.Obligations, ObligationHeader}, {fs.Filings, FilingHeader}, {fs.Payments, PaymentHeader}, {fs.Deductions, DeductionHeader}} {
			if tax.files[i], err = create(f.path, f.header); err != nil {
				return fs, err
			}
		}
	}
	g.tax = tax
	if err := g.taxpayers(tf.w, cf.w); err != nil {
		return fs, err
	}
	if err := tf.close(); err != nil {
		return fs, err
	}
	if tax != nil {
		if err := tax.close(); err != nil {
			return fs, err
		}
	}
	return fs, cf.close()
}

// csvFile is a CSV file being written through a buffer.
type csvFile struct {
	path string
	f    *os.File
	b    *bufio.Writer
	w    *csv.Writer
}

func create(path string, header []string) (*csvFile, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("synth: %w", err)
	}
	b := bufio.NewWriterSize(f, 256<<10)
	b.WriteString("\ufeff")
	w := csv.NewWriter(b)
	w.UseCRLF = true // as spreadsheets save CSV
	w.Write(header)
	return &csvFile{path: path, f: f, b: b, w: w}, nil
}

// close flushes and closes the file once; later calls return nil.
func (c *csvFile) close() error {
	if c.f == nil {
		return nil
	}
	c.w.Flush()
	err := c.w.Error()
	if e := c.b.Flush(); err == nil {
		err = e
	}
	if e := c.f.Close(); err == nil {
		err = e
	}
	c.f = nil
	if err != nil {
		return fmt.Errorf("synth: write %s: %w", c.path, err)
	}
	return nil
}

func writeFile(path string, header []string, rows func(*csv.Writer) error) error {
	c, err := create(path, header)
	if err != nil {
		return err
	}
	defer c.close()
	if err := rows(c.w); err != nil {
		return err
	}
	return c.close()
}

// district is one branch of the bureau.
type district struct {
	name     string // 市南区
	pinyin   string // login prefix
	division string // GB/T 2260 code, 6 digits
	road     string
	subs     []string // sub-offices (税务所)
}

var districts = []district{
	{"市南区", "shinan", "370202", "香港中路", nil},
	{"市北区", "shibei", "370203", "敦化路", nil},
	{"李沧区", "licang", "370213", "京口路", nil},
	{"崂山区", "laoshan", "370212", "株洲路", nil},
	{"黄岛区", "huangdao", "370211", "长江中路", []string{"辛安税务所", "灵山卫税务所"}},
	{"城阳区", "chengyang", "370214", "正阳路", nil},
	{"即墨区", "jimo", "370215", "鹤山路", []string{"蓝村税务所"}},
	{"胶州市", "jiaozhou", "370281", "扬州路", nil},
}

// CityCode is the office code of the municipal bureau that Write generates.
const CityCode = "13702000000"

func branchCode(i int) string { return "13702" + districts[i].division[4:] + "0000" }

func subCode(i, j int) string { return branchCode(i)[:9] + fmt.Sprintf("%02d", j+1) }

// staff is one generated user.
type staff struct {
	login, name, office, role string
}

// gen holds the state of one generation.
type gen struct {
	cfg      Config
	rng      *rand.Rand
	staff    []staff
	ops      [][]staff // operators per district
	mobile   int       // next mobile number index
	agencies []string  // the agencies' numbers
	tax      *taxWriter
}

func newGen(cfg Config) *gen {
	g := &gen{cfg: cfg, rng: rand.New(rand.NewPCG(cfg.Seed, 0x12366))}
	g.staff = append(g.staff,
		staff{"admin", g.person(), CityCode, "市局管理员"},
		staff{"auditor", g.person(), CityCode, "审计员"},
		staff{"maint", g.person(), CityCode, "运维人员"},
		staff{"center.op1", g.person(), CityCode, "操作员"},
		staff{"center.op2", g.person(), CityCode, "操作员"},
	)
	g.ops = make([][]staff, len(districts))
	for i, d := range districts {
		g.staff = append(g.staff, staff{d.pinyin + ".admin", g.person(), branchCode(i), "分局管理员"})
		for k := 1; k <= 3; k++ {
			s := staff{fmt.Sprintf("%s.op%d", d.pinyin, k), g.person(), branchCode(i), "操作员"}
			g.staff = append(g.staff, s)
			g.ops[i] = append(g.ops[i], s)
		}
		for j := range d.subs {
			s := staff{fmt.Sprintf("%s.s%d.op1", d.pinyin, j+1), g.person(), subCode(i, j), "操作员"}
			g.staff = append(g.staff, s)
			g.ops[i] = append(g.ops[i], s)
		}
	}
	return g
}

func (g *gen) offices(w *csv.Writer) error {
	w.Write([]string{CityCode, "青岛市税务局", "", "0532-12366", "青岛市市南区闽江路9号"})
	for i, d := range districts {
		w.Write([]string{branchCode(i), "青岛市" + d.name + "税务局", CityCode, g.phone(), fmt.Sprintf("青岛市%s%s%d号", d.name, d.road, 1+g.rng.IntN(300))})
		for j, s := range d.subs {
			w.Write([]string{subCode(i, j), "青岛市" + d.name + "税务局" + s, branchCode(i), g.phone(), fmt.Sprintf("青岛市%s%s街道%d号", d.name, strings.TrimSuffix(s, "税务所"), 1+g.rng.IntN(200))})
		}
	}
	return w.Error()
}

func (g *gen) users(w *csv.Writer) error {
	for _, s := range g.staff {
		w.Write([]string{s.login, s.name, s.office, s.role, "正常", g.nextMobile()})
	}
	return w.Error()
}

func (g *gen) phone() string { return fmt.Sprintf("0532-8%07d", g.rng.IntN(10_000_000)) }

var surnames = []rune("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤")

var given = []rune("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰文辉建国志红海燕鹏飞宇浩然晓东雪梅婷慧颖斌峰波宁欣怡子涵梓萱博文俊杰嘉琪佳丽晨阳凯瑞瑶琳鑫磊淑珍秀英春梅丹凤")

func (g *gen) person() string {
	var b strings.Builder
	b.WriteRune(surnames[g.rng.IntN(len(surnames))])
	b.WriteRune(given[g.rng.IntN(len(given))])
	if g.rng.IntN(3) > 0 {
		b.WriteRune(given[g.rng.IntN(len(given))])
	}
	return b.String()
}

var brandChars = []rune("海信瑞华德鑫盛泰安康源隆丰宏昌达通顺恒远嘉利润祥和兴旺金银星光明辉晨阳新正大中天宇创亿诚汇博联凯豪蓝湾港青崂")

// trade pairs a word of a company name with its industry (GB/T 4754).
type trade struct{ word, industry string }

var trades = []trade{
	{"科技", "科学研究和技术服务业"},
	{"信息技术", "信息传输、软件和信息技术服务业"},
	{"软件", "信息传输、软件和信息技术服务业"},
	{"贸易", "批发和零售业"},
	{"商贸", "批发和零售业"},
	{"机械", "制造业"},
	{"电子", "制造业"},
	{"橡胶", "制造业"},
	{"食品", "制造业"},
	{"海洋生物", "制造业"},
	{"服装", "制造业"},
	{"建筑工程", "建筑业"},
	{"装饰工程", "建筑业"},
	{"物流", "交通运输、仓储和邮政业"},
	{"国际货运代理", "交通运输、仓储和邮政业"},
	{"餐饮管理", "住宿和餐饮业"},
	{"酒店管理", "住宿和餐饮业"},
	{"房地产开发", "房地产业"},
	{"物业管理", "房地产业"},
	{"文化传媒", "文化、体育和娱乐业"},
	{"企业管理咨询", "租赁和商务服务业"},
	{"水产", "农、林、牧、渔业"},
}

type shop struct{ word, industry string }

var shops = []shop{
	{"小吃店", "住宿和餐饮业"},
	{"饭店", "住宿和餐饮业"},
	{"海鲜排档", "住宿和餐饮业"},
	{"便利店", "批发和零售业"},
	{"五金商店", "批发和零售业"},
	{"水果店", "批发和零售业"},
	{"服装店", "批发和零售业"},
	{"理发店", "居民服务、修理和其他服务业"},
	{"汽车修理部", "居民服务、修理和其他服务业"},
	{"洗衣店", "居民服务、修理和其他服务业"},
}

var companyTaxes = []string{"城市维护建设税", "教育费附加", "地方教育附加", "印花税", "个人所得税", "房产税", "城镇土地使用税"}

// Dates are drawn from fixed ranges so that output does not depend on the
// day it is made.
var (
	firstDay = taxsms.Date{Year: 1995, Month: 1, Day: 1}.Time(time.UTC)
	lastDay  = taxsms.Date{Year: 2025, Month: 6, Day: 30}.Time(time.UTC)
)

func (g *gen) brand() string {
	a := brandChars[g.rng.IntN(len(brandChars))]
	b := brandChars[g.rng.IntN(len(brandChars))]
	for b == a {
		b = brandChars[g.rng.IntN(len(brandChars))]
	}
	return string([]rune{a, b})
}

// contactMobile returns the number of a contact of the role: an agency's
// for about a fifth of the tax clerks when there are agencies, else a
// new one.
func (g *gen) contactMobile(role string) string {
	if g.cfg.Agencies == 0 || role != "办税人员" || g.rng.IntN(5) != 0 {
		return g.nextMobile()
	}
	k := g.rng.IntN(g.cfg.Agencies)
	for len(g.agencies) <= k {
		g.agencies = append(g.agencies, g.nextMobile())
	}
	return g.agencies[k]
}

// Mobile prefixes used: every one is in taxsms.DefaultPrefixes.
var mobilePrefixes = []string{
	"134", "135", "136", "137", "138", "139", "150", "151", "152", "157", "158", "159", "182", "183", "184", "187", "188", "198", // China Mobile
	"130", "131", "132", "155", "156", "185", "186", "166", "175", "176", // China Unicom
	"133", "153", "173", "177", "180", "181", "189", "199", // China Telecom
}

// nextMobile returns a number never returned before by this gen: index k
// goes through a bijection of [0, len(prefixes)·10⁸), whose value picks the
// prefix and the 8 digits after it, so numbers are unique but look scattered.
func (g *gen) nextMobile() string {
	k := uint64(g.mobile)
	g.mobile++
	space := uint64(len(mobilePrefixes)) * 100_000_000
	v := (k*2654435761 + 123456789) % space
	b := make([]byte, 0, 11)
	b = append(b, mobilePrefixes[v%uint64(len(mobilePrefixes))]...)
	return string(appendPadded(b, v/uint64(len(mobilePrefixes)), 8))
}

func appendPadded(b []byte, n uint64, width int) []byte {
	var tmp [20]byte
	s := strconv.AppendUint(tmp[:0], n, 10)
	for i := len(s); i < width; i++ {
		b = append(b, '0')
	}
	return append(b, s...)
}

// orgCode returns a 9-character organisation code (GB 11714): 8 digits that
// are a bijection of i, and the check character.
func orgCode(b []byte, i uint64) []byte {
	n := (i*73939133 + 24680) % 100_000_000
	start := len(b)
	b = appendPadded(b, n, 8)
	w := [8]int{3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for j := 0; j < 8; j++ {
		sum += int(b[start+j]-'0') * w[j]
	}
	switch c := (11 - sum%11) % 11; c {
	case 10:
		return append(b, 'X')
	default:
		return append(b, byte('0'+c))
	}
}

// identifier returns a unique identifier for taxpayer i of district d, and
// whether it is an individual business.
func (g *gen) identifier(i int, d int) (id string, individual bool) {
	b := make([]byte, 0, 18)
	div := districts[d].division
	switch r := g.rng.IntN(100); {
	case r < 80: // enterprise credit code
		b = append(b, "91"...)
		b = append(b, div...)
		b = orgCode(b, uint64(i))
		return string(append(b, taxsms.USCCCheck(string(b)))), false
	case r < 92: // individual business with a credit code
		b = append(b, "92"...)
		b = append(b, div...)
		b = orgCode(b, uint64(i))
		return string(append(b, taxsms.USCCCheck(string(b)))), true
	case r < 98: // individual business registered on the owner's resident id
		// i is unique; the birth day and sequence are a bijection of it.
		j := (uint64(i)*7368787 + 4321) % 15_000_000
		birth := taxsms.Date{Year: 1955, Month: 1, Day: 1}.Time(time.UTC).AddDate(0, 0, int(j/1000))
		b = append(b, div...)
		b = birth.AppendFormat(b, "20060102")
		b = appendPadded(b, j%1000, 3)
		return string(append(b, taxsms.ResidentCheck(string(b)))), true
	default: // an old 15-character number that was never replaced
		b = append(b, div...)
		b = orgCode(b, uint64(i)+50_000_000)
		return string(b), false
	}
}

func unixDay(d int64) time.Time { return time.Unix(d*86400, 0).UTC() }

func (g *gen) date(from, to int64) taxsms.Date {
	// from and to are Unix days.
	d := from + g.rng.Int64N(to-from+1)
	return taxsms.DateOf(unixDay(d))
}

func (g *gen) taxpayers(tw, cw *csv.Writer) error {
	first, last := firstDay.Unix()/86400, lastDay.Unix()/86400
	rec := make([]string, len(TaxpayerHeader))
	crec := make([]string, len(ContactHeader))
	var types []string
	roles := []string{"法定代表人", "", "", ""}
	for i := 0; i < g.cfg.Taxpayers; i++ {
		d := g.rng.IntN(len(districts))
		op := g.ops[d][g.rng.IntN(len(g.ops[d]))]
		id, individual := g.identifier(i, d)
		var name, industry string
		types = types[:0]
		if individual {
			s := shops[g.rng.IntN(len(shops))]
			name = districts[d].name + string(surnames[g.rng.IntN(len(surnames))]) + "记" + s.word
			industry = s.industry
			types = append(types, "增值税", "个人所得税")
			if g.rng.IntN(2) == 0 {
				types = append(types, "城市维护建设税")
			}
		} else {
			t := trades[g.rng.IntN(len(trades))]
			name = "青岛" + g.brand() + t.word + "有限公司"
			if g.rng.IntN(20) == 0 {
				name = "青岛" + g.brand() + t.word + "股份有限公司"
			}
			industry = t.industry
			types = append(types, "增值税", "企业所得税")
			for _, tt := range companyTaxes {
				if g.rng.IntN(3) > 0 {
					types = append(types, tt)
				}
			}
		}
		reg := g.date(first, last)
		status, changed, cancelled := "正常", "", ""
		switch r := g.rng.IntN(100); {
		case r < 10:
			status = "变更"
			changed = g.date(reg.Time(time.UTC).Unix()/86400, last).String()
		case r < 13:
			status = "注销"
			cancelled = g.date(reg.Time(time.UTC).Unix()/86400, last).String()
		}
		remote := "是"
		if g.rng.IntN(8) == 0 {
			remote = "否"
		}
		rec[0], rec[1], rec[2], rec[3] = id, name, op.office, op.login
		rec[4], rec[5], rec[6], rec[7] = status, reg.String(), changed, cancelled
		rec[8], rec[9], rec[10] = industry, strings.Join(types, "、"), remote
		if err := tw.Write(rec); err != nil {
			return err
		}
		if g.tax != nil && status != "注销" {
			if err := g.tax.taxpayer(id, types); err != nil {
				return err
			}
		}
		if g.cfg.NoContacts {
			continue
		}
		// legal_rep first, then finance or the tax clerk, then the others.
		if g.rng.IntN(2) == 0 {
			roles[1], roles[2] = "财务负责人", "办税人员"
		} else {
			roles[1], roles[2] = "办税人员", "财务负责人"
		}
		roles[3] = "财务主管"
		for _, role := range roles[:g.cfg.ContactsPer] {
			svc := "已开通"
			switch {
			case status == "注销":
				svc = "已取消"
			case g.rng.IntN(100) == 0:
				svc = "待开通"
			}
			crec[0], crec[1], crec[2], crec[3], crec[4] = id, role, g.person(), g.contactMobile(role), svc
			if err := cw.Write(crec); err != nil {
				return err
			}
		}
	}
	tw.Flush()
	cw.Flush()
	if err := tw.Error(); err != nil {
		return err
	}
	return cw.Error()
}
