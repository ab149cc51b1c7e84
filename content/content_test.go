package content

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"taxsms"
)

func TestParseTerms(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     []Term
		err      string // substring of the error; "" for none
	}{
		{"comments and blanks", "# c\n\nrumours 散布谣言\n", []Term{{Rumours, "散布谣言"}}, ""},
		{"tab and spaces in term", "obscenity_gambling_violence\tterrorist attack\n", []Term{{ObscenityViolence, "terrorist attack"}}, ""},
		{"unknown category", "rumours 谣言\nspam 广告\n", nil, "line 2: unknown category \"spam\""},
		{"no term", "\n\nrumours\n", nil, "line 3: want \"category term\""},
		{"term of symbols", "rumours ***\n", nil, "line 1: term \"***\" has no letter or digit"},
		{"unrelated is not a list category", "unrelated_to_tax 天气\n", nil, "line 1: unknown category"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseTerms([]byte(tc.in))
			checkErr(t, err, tc.err, "words")
			if tc.err == "" && !slices.Equal(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestParseVocabulary(t *testing.T) {
	got, err := ParseVocabulary([]byte("# tax\n税\n申报\n"))
	if err != nil || !slices.Equal(got, []string{"税", "申报"}) {
		t.Fatalf("got %v, %v", got, err)
	}
	_, err = ParseVocabulary([]byte("税\n  --  \n"))
	checkErr(t, err, "line 2: term", "vocabulary")
}

func TestParseAllow(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     Allow
		err      string
	}{
		{"hosts and phones", "host Etax.Chinatax.gov.cn.\nphone 0532-8888 1234\nphone 12366\n",
			Allow{Hosts: []string{"etax.chinatax.gov.cn"}, Phones: []string{"053288881234", "12366"}}, ""},
		{"unknown kind", "host a.cn\nmail a@b.cn\n", Allow{}, "line 2: want \"host name\""},
		{"bad host", "host http://a.cn/x\n", Allow{}, "line 1: \"http://a.cn/x\" is not a host name"},
		{"host without dot", "host localhost\n", Allow{}, "line 1:"},
		{"bad phone", "\nphone 12366x\n", Allow{}, "line 2: \"12366x\" is not a telephone number"},
		{"short phone", "phone 12\n", Allow{}, "line 1:"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseAllow([]byte(tc.in))
			checkErr(t, err, tc.err, "allow")
			if tc.err == "" && (!slices.Equal(got.Hosts, tc.want.Hosts) || !slices.Equal(got.Phones, tc.want.Phones)) {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

func checkErr(t *testing.T, err error, want, field string) {
	t.Helper()
	switch {
	case want == "" && err != nil:
		t.Fatalf("unexpected error: %v", err)
	case want != "" && err == nil:
		t.Fatalf("no error, want %q", want)
	case want != "":
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q, want it to contain %q", err, want)
		}
		if taxsms.ErrorCode(err) != taxsms.EINVALID || taxsms.ErrorField(err) != field {
			t.Errorf("error %v: code %q field %q, want %q %q", err, taxsms.ErrorCode(err), taxsms.ErrorField(err), taxsms.EINVALID, field)
		}
	}
}

func TestNewRefusesBadLists(t *testing.T) {
	if _, err := New([]Term{{"spam", "x"}}, nil, Allow{}); err == nil {
		t.Error("unknown category accepted")
	}
	if _, err := New(nil, []string{"。。"}, Allow{}); err == nil {
		t.Error("empty vocabulary term accepted")
	}
}

var checker = Default()

// categories finds the categories flagged, in order, with their terms.
func flagged(r Report) []string {
	var out []string
	for _, f := range r.Flags {
		out = append(out, string(f.Category)+":"+f.Term)
	}
	return out
}

func TestEachCategory(t *testing.T) {
	for _, tc := range []struct {
		text string
		want string // category:term
	}{
		{"【青岛市税务局】有人号召推翻宪法，请纳税人警惕。", "against_constitution:推翻宪法"},
		{"Tax office: they want to overthrow the constitution.", "against_constitution:overthrow the constitution"},
		{"纳税人请注意：颠覆国家政权的言论。", "state_security:颠覆国家政权"},
		{"Tax notice: plans to subvert state power.", "state_security:subvert state power"},
		{"税务提醒：焚烧国旗的视频。", "national_honour:焚烧国旗"},
		{"Tax reminder: burn the national flag tonight.", "national_honour:burn the national flag"},
		{"个税汇算：煽动民族仇恨者。", "ethnic_hatred:民族仇恨"},
		{"Tax: stop the ethnic cleansing now.", "ethnic_hatred:ethnic cleansing"},
		{"申报期间请学习法轮功。", "cults_superstition:法轮功"},
		{"Tax refund by fortune telling.", "cults_superstition:fortune telling"},
		{"税务局内部消息称明天停止征税。", "rumours:内部消息称"},
		{"Tax office warns of a bank run tomorrow.", "rumours:bank run"},
		{"发票中奖，网上赌博日赚万元。", "obscenity_gambling_violence:赌博"},
		{"Your tax refund: visit our casino.", "obscenity_gambling_violence:casino"},
		{"纳税人张三是人渣。", "insult_defamation:人渣"},
		{"The taxpayer is an idiot.", "insult_defamation:idiot"},
		{"代开各类发票，税点低。", "other_illegal:代开各类发票"},
		{"Tax season: fake invoices cheap.", "other_illegal:fake invoices"},
	} {
		r := checker.Check(tc.text)
		if got := flagged(r); !slices.Contains(got, tc.want) {
			t.Errorf("Check(%q) = %v, want %s", tc.text, got, tc.want)
		}
		if r.Unrelated {
			t.Errorf("Check(%q): flagged unrelated to tax", tc.text)
		}
		if r.Clean() {
			t.Errorf("Check(%q): clean", tc.text)
		}
	}
	// Every category of the seed has terms in the embedded list, in Chinese and in English.
	terms, _ := ParseTerms(defaultWords)
	for _, cat := range Prohibited {
		var zh, en bool
		for _, term := range terms {
			if term.Category == cat {
				zh = zh || !isLatin(term.Term)
				en = en || isLatin(term.Term)
			}
		}
		if !zh || !en {
			t.Errorf("words.txt: %s has Chinese %v, English %v", cat, zh, en)
		}
	}
}

func isLatin(s string) bool {
	for _, r := range s {
		if r >= 128 {
			return false
		}
	}
	return true
}

func TestEvasions(t *testing.T) {
	for _, tc := range []struct{ text, want string }{
		{"税务：法*轮*功", "cults_superstition:法轮功"},
		{"税务：法 轮 功", "cults_superstition:法轮功"},
		{"税务：法\u200b轮\u200d功", "cults_superstition:法轮功"},
		{"税务：法、轮。功", "cults_superstition:法轮功"},
		{"税务：赌 博", "obscenity_gambling_violence:赌博"},
		{"税务：赌---博", "obscenity_gambling_violence:赌博"},
		{"税务：赌　博", "obscenity_gambling_violence:赌博"}, // ideographic space
		{"tax: b.o.m.b", "obscenity_gambling_violence:bomb"},
		{"tax: B O M B", "obscenity_gambling_violence:bomb"},
		{"tax: ｂｏｍｂ", "obscenity_gambling_violence:bomb"}, // full-width
		{"tax: Ｃ－ａ－ｓ－ｉ－ｎ－ｏ！", "obscenity_gambling_violence:casino"},
		{"tax: CASINO", "obscenity_gambling_violence:casino"},
		{"tax: falun-gong", "cults_superstition:falun gong"},
		{"tax:\u00a0p\u00adorn", "obscenity_gambling_violence:porn"}, // soft hyphen
	} {
		if got := flagged(checker.Check(tc.text)); !slices.Contains(got, tc.want) {
			t.Errorf("Check(%q) = %v, want %s", tc.text, got, tc.want)
		}
	}
}

func TestLatinWordBoundaries(t *testing.T) {
	for _, text := range []string{
		"Tax office in Sussex and Essex.",
		"Taxpayers may bombard us with questions.",
		"Tax: a porno... no: the pornography rule", // "porn" glued to letters on the right
		"Tax: the casinos",                         // plural not listed
	} {
		if r := checker.Check(text); !r.Clean() {
			t.Errorf("Check(%q) = %v, want clean", text, r)
		}
	}
	if r := checker.Check("Tax: es sex"); !slices.Contains(flagged(r), "obscenity_gambling_violence:sex") {
		t.Errorf("separated word not found: %v", r)
	}
}

// Ordinary texts of a tax bureau: none may be flagged.
var notices = []string{
	"【国家税务总局青岛市税务局】尊敬的纳税人：2026年12月征期截止日为12月15日，请及时办理增值税、消费税申报和税款缴纳。咨询请拨12366。",
	"【青岛市税务局】温馨提示：2026年度个人所得税综合所得汇算清缴将于2027年3月1日开始，请通过个人所得税APP办理。",
	"【青岛税务】您单位本月尚未完成企业所得税预缴申报，请于15日前登录电子税务局 https://etax.shandong.chinatax.gov.cn 办理。",
	"尊敬的纳税人：根据财政部 税务总局公告，小规模纳税人增值税征收率减按1%执行，政策延续至2027年12月31日。",
	"【市南区税务局】您申请的出口退税已审核通过，退税款将于3个工作日内到账，请注意查收。",
	"【青岛市税务局】春节将至，青岛市税务局全体干部职工恭祝您新春快乐、阖家幸福！感谢您对税收工作的支持。",
	"中秋佳节，市税务局祝广大纳税人和缴费人节日快乐，月圆人团圆！",
	"会议通知：定于12月10日下午2:30在局三楼会议室召开全市税收征管工作会议，请各区局分管局长参加。",
	"各科室：请于本周五前报送2026年度纳税服务工作总结，联系人王科长，电话0532-12366。",
	"【李沧区税务局】您的社保费（城乡居民基本养老保险）2027年度缴费期已开始，请通过微信或银行缴款。",
	"尊敬的缴费人：灵活就业人员医保缴费基数已调整，请于月底前完成申报缴费。",
	"【青岛市税务局】您的发票额度已调整为每月100万元，如有疑问请联系主管税务所。",
	"提醒：数电发票已全面推广，纳税人可在电子税务局开具全电发票，无需领用税控设备。",
	"【税务提醒】请警惕冒充税务人员以退税为名的电话诈骗，税务机关不会要求您向个人账户转账。",
	"端午安康！国家税务总局青岛市黄岛区税务局祝您节日快乐，纳税服务热线12366竭诚为您服务。",
	"培训通知：市局将于12月18日举办房地产行业土地增值税清算政策培训，请有关企业财务人员报名参加。",
	"您好，您于2026年11月申报的印花税存在逾期，请尽快补充申报并缴纳滞纳金。",
	"【崂山区税务局】您单位的税务登记信息中财务负责人已变更，如非本单位操作，请致电主管税务机关。",
	"各位同事：年终考核材料请于12月20日前交人事科，涉及税收业务的附件请一并提交。",
	"【青岛市税务局】研发费用加计扣除政策申报辅导：12月12日9:00线上直播，请关注“青岛税务”公众号。",
	"尊敬的纳税人，您的车辆购置税已完税，完税证明可在电子税务局下载。",
	"元宵节快乐！税务局提醒：本月征期延长至22日，请合理安排申报时间。",
	"Dear taxpayer, your individual income tax annual filing is due by June 30. Call 12366 for help.",
	"Reminder from the Qingdao Tax Bureau: the VAT filing deadline is December 15. File online at https://etax.qingdao.chinatax.gov.cn/portal.",
	"【青岛市税务局】依法纳税光荣，偷税漏税违法。请依法如实申报，不得虚开发票。",
	"通知：国庆节期间办税服务厅暂停办公，电子税务局正常运行，应急联系人手机请见内网。",
}

func TestNoticesAreClean(t *testing.T) {
	if len(notices) < 20 {
		t.Fatalf("only %d notices", len(notices))
	}
	for _, text := range notices {
		if r := checker.Check(text); !r.Clean() {
			t.Errorf("Check(%q) = %v, want clean", text, r)
		}
	}
}

func TestUnrelated(t *testing.T) {
	for _, text := range []string{
		"周末一起去爬崂山吧，天气不错。",
		"恭喜您中奖了！请点击领取大礼包。",
		"Happy birthday! See you at the party.",
		"",
		"！！！",
	} {
		r := checker.Check(text)
		if !r.Unrelated || r.Clean() {
			t.Errorf("Check(%q): Unrelated %v Clean %v, want flagged", text, r.Unrelated, r.Clean())
		}
		if !strings.Contains(r.String(), "unrelated_to_tax 1") {
			t.Errorf("Check(%q).String() = %q", text, r.String())
		}
	}
}

func TestLinksAndPhones(t *testing.T) {
	for _, tc := range []struct {
		text string
		want []string // flags, category:term
	}{
		{"税务：详见 https://etax.qingdao.chinatax.gov.cn/a?b=1 。", nil},
		{"税务：详见 http://chinatax.gov.cn", nil},
		{"税务：详见 www.chinatax.gov.cn/x", nil},
		{"税务：退税请点击 http://tax-refund.xyz/get 领取", []string{"link:tax-refund.xyz"}},
		{"税务：退税请点击 www.example.com。", []string{"link:www.example.com"}},
		{"税务：退税请登录 refund-tax.cn 办理", []string{"link:refund-tax.cn"}},
		{"税务：退税请登录ｅｔａｘ－ｒｅｆｕｎｄ．ｃｏｍ办理", []string{"link:etax-refund.com"}},
		{"税务：仿冒 https://chinatax.gov.cn.evil.com/x", []string{"link:chinatax.gov.cn.evil.com"}},
		{"税务：联系 tax@qd.com 咨询", nil}, // an e-mail address is not a link
		{"税务：请拨打12366或0532-12366", nil},
		{"税务：请拨打0532-86661234", []string{"phone:053286661234"}},
		{"税务：请拨打(0532)86661234", []string{"phone:053286661234"}},
		{"税务：联系人手机13812345678", []string{"phone:13812345678"}},
		{"税务：联系人手机 138-1234-5678", []string{"phone:13812345678"}},
		{"税务：联系人手机 +86 138 1234 5678", []string{"phone:8613812345678"}},
		{"税务：联系人手机１３８１２３４５６７８", []string{"phone:13812345678"}},
		{"税务：热线400-123-4567", []string{"phone:4001234567"}},
		{"税务：统一社会信用代码91370200MA3C123456，税号913702001381234567", nil},
		{"税务：应纳税额13812345678元", []string{"phone:13812345678"}}, // looks like a number; the approver decides
		{"税务：税款 1,234,567.89 元，日期 2026-12-15", nil},
	} {
		got := flagged(checker.Check(tc.text))
		if !slices.Equal(got, tc.want) {
			t.Errorf("Check(%q) = %v, want %v", tc.text, got, tc.want)
		}
	}
	allow := Allow{Hosts: []string{"etax.example.cn"}, Phones: []string{"053286661234", "13812345678"}}
	c, err := New(nil, []string{"税"}, allow)
	if err != nil {
		t.Fatal(err)
	}
	for _, text := range []string{"税：0532-86661234", "税：+86 13812345678", "税：https://a.etax.example.cn/x"} {
		if r := c.Check(text); !r.Clean() {
			t.Errorf("allowed by the caller's list: Check(%q) = %v", text, r)
		}
	}
}

func TestSpansPointAtOriginal(t *testing.T) {
	for _, tc := range []struct {
		text, fragment string
		runeStart      int
	}{
		{"税务局：网上赌博。", "赌博", 6},
		{"税务局：网上赌 * 博。", "赌 * 博", 6},
		{"ｔａｘ：ＣＡＳＩＮＯ！", "ＣＡＳＩＮＯ", 4},
		{"税 务：b.o.m.b!", "b.o.m.b", 4},
		{"税务：法\u200b轮\u200b功", "法\u200b轮\u200b功", 3},
		{"税务：请拨打１３８１２３４５６７８。", "１３８１２３４５６７８", 6},
		{"税务：点 ｗｗｗ．ｂａｄ．ｃｏｍ 领奖", "ｗｗｗ．ｂａｄ．ｃｏｍ", 5},
	} {
		r := checker.Check(tc.text)
		if len(r.Flags) != 1 {
			t.Errorf("Check(%q) = %v, want one flag", tc.text, r)
			continue
		}
		f := r.Flags[0]
		if f.Text != tc.fragment || tc.text[f.Start:f.End] != tc.fragment {
			t.Errorf("Check(%q): fragment %q [%d:%d], want %q", tc.text, f.Text, f.Start, f.End, tc.fragment)
		}
		runes := []rune(tc.text)
		if f.RuneStart != tc.runeStart || string(runes[f.RuneStart:f.RuneEnd]) != tc.fragment {
			t.Errorf("Check(%q): runes [%d:%d], want start %d", tc.text, f.RuneStart, f.RuneEnd, tc.runeStart)
		}
	}
}

func TestSummary(t *testing.T) {
	r := checker.Check("赌博，赌 博，casino，人渣，13812345678")
	want := "obscenity_gambling_violence 3 (赌博, casino); insult_defamation 1 (人渣); unrelated_to_tax 1; phone 1 (13812345678)"
	if got := r.String(); got != want {
		t.Errorf("String() = %q\nwant       %q", got, want)
	}
	if s := r.Summary(); len(s) != 4 || s[0].N != 3 || !slices.Equal(s[0].Terms, []string{"赌博", "casino"}) {
		t.Errorf("Summary() = %+v", s)
	}
	if got := checker.Check("请按时申报纳税。").String(); got != "clean" {
		t.Errorf("clean text: %q", got)
	}
}

// The automaton finds exactly what a naive search finds.
func TestAutomatonMatchesNaive(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := []rune("ab税务c")
	word := func(n int) []rune {
		w := make([]rune, n)
		for i := range w {
			w[i] = alphabet[rng.IntN(len(alphabet))]
		}
		return w
	}
	for range 200 {
		var terms [][]rune
		for range 1 + rng.IntN(12) {
			terms = append(terms, word(1+rng.IntN(4)))
		}
		text := word(rng.IntN(40))
		a := build(terms)
		var got []string
		a.scan(text, func(i, end int) { got = append(got, fmt.Sprint(i, end)) })
		var want []string
		for end := 1; end <= len(text); end++ {
			seen := map[string]bool{}
			for i, term := range terms {
				if seen[string(term)] {
					continue
				}
				seen[string(term)] = true
				if end >= len(term) && string(text[end-len(term):end]) == string(term) {
					want = append(want, fmt.Sprint(i, end))
				}
			}
		}
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Fatalf("terms %q text %q: got %v, want %v", terms, string(text), got, want)
		}
	}
}

func FuzzCheck(f *testing.F) {
	for _, n := range notices {
		f.Add(n)
	}
	for _, s := range []string{"法*轮*功", "ｂ．ｏ．ｍ．ｂ", "\xff赌\xfe博\x80", "www.", "http://", "+86 138", "０５３２－８６６６１２３４", "\u200b\u200b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		r := checker.Check(text)
		for _, fl := range r.Flags {
			if fl.Start < 0 || fl.End > len(text) || fl.Start >= fl.End {
				t.Fatalf("Check(%q): span [%d:%d] outside the text", text, fl.Start, fl.End)
			}
			if fl.Text != text[fl.Start:fl.End] {
				t.Fatalf("Check(%q): fragment %q is not text[%d:%d]", text, fl.Text, fl.Start, fl.End)
			}
			if fl.RuneStart < 0 || fl.RuneEnd > utf8.RuneCountInString(text) || fl.RuneStart >= fl.RuneEnd {
				t.Fatalf("Check(%q): rune span [%d:%d] outside the text", text, fl.RuneStart, fl.RuneEnd)
			}
		}
		_ = r.String()
	})
}

func TestConcurrentChecks(t *testing.T) {
	done := make(chan string)
	for i := range 4 {
		go func() {
			var bad string
			for j := range 50 {
				text := notices[(i+j)%len(notices)]
				if r := checker.Check(text); !r.Clean() {
					bad = text
				}
				if r := checker.Check("税务：赌 博"); len(r.Flags) != 1 || r.Flags[0].Text != "赌 博" {
					bad = "税务：赌 博"
				}
			}
			done <- bad
		}()
	}
	for range 4 {
		if bad := <-done; bad != "" {
			t.Errorf("concurrent Check(%q) wrong", bad)
		}
	}
}
