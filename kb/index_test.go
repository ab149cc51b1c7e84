package kb_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"

	"taxsms/kb"
)

// The ids of the default knowledge base that the tests name.
const (
	idAnnualIIT      = 1
	idIITPayMore     = 2
	idIITRefund      = 3
	idSpecialDeduct  = 4
	idIITAppPassword = 5
	idVerifyInvoice  = 6
	idIssueDigital   = 7
	idRedInvoice     = 8
	idGetInvoices    = 9
	idVATDeadline    = 10
	idLateFiling     = 11
	idZeroFiling     = 12
	idCITAnnual      = 13
	idFlexibleSocial = 14
	idResidentHealth = 15
	idEmployerSocial = 16
	idExportRefund   = 17
	idRetainedCredit = 18
	idOverpaid       = 19
	idRegister       = 20
	idDeregister     = 21
	idChangeReg      = 22
	idETBPassword    = 23
	idAddClerk       = 24
	idETBError       = 25
	idCreditQuery    = 26
	idCreditRepair   = 27
	idSmallScale     = 28
	idGeneralTaxpyr  = 29
	idDeductInput    = 30
	idStampDuty      = 31
	idPropertyTax    = 32
	idTripartite     = 33
	idHotline        = 34
	idTaxCertificate = 35
)

// questions are taxpayers' texts, phrased otherwise than the stored
// questions, some with typos, extra words, full-width letters or spaces,
// and the entry each must find.
var questions = []struct {
	text string
	want int64
}{
	{"个税汇算几号开始？", idAnnualIIT},
	{"请问今年个人所得税年度汇算截止到哪天", idAnnualIIT},
	{"汇算清缴 什么时候 结束", idAnnualIIT},
	{"个税汇算要补税400块钱，必须交吗", idIITPayMore},
	{"我汇算以后要补税，在哪里交钱", idIITPayMore},
	{"个税退税申请了一个星期还没到账", idIITRefund},
	{"退税进度在哪看", idIITRefund},
	{"赡养老人的扣除怎么填", idSpecialDeduct},
	{"房贷利息可以专项扣除吗", idSpecialDeduct},
	{"个人所得税ＡＰＰ密码忘记了", idIITAppPassword},
	{"帮我查一下这张发票的真假", idVerifyInvoice},
	{"发票怎么验真", idVerifyInvoice},
	{"全电发票在哪里开", idIssueDigital},
	{"数电票开具流程", idIssueDigital},
	{"发票开错了能作废吗", idRedInvoice},
	{"红字发票怎么开", idRedInvoice},
	{"新公司怎么申领发票", idGetInvoices},
	{"这个月增值税几号之前要报完", idVATDeadline},
	{"本月申报截止日期是哪天", idVATDeadline},
	{"上个月忘记申报了，会罚款吗", idLateFiling},
	{"逾期申报了怎么补", idLateFiling},
	{"公司没有收入还要报税吗", idZeroFiling},
	{"企业所得税年度申报截至几月", idCITAnnual},
	{"灵活就业的养老保险在哪交", idFlexibleSocial},
	{"居民医保今年怎么交费", idResidentHealth},
	{"医保缴费渠道", idResidentHealth},
	{"单位的社会保险费每月怎么申报", idEmployerSocial},
	{"出口退税申报流程", idExportRefund},
	{"留抵退税需要满足什么条件", idRetainedCredit},
	{"税交多了能退回来吗", idOverpaid},
	{"刚拿到营业执照，税务登记怎么做", idRegister},
	{"公司不做了要注销，税务这边怎么弄", idDeregister},
	{"法人换了税务要去变更吗", idChangeReg},
	{"电子税务局的密码忘记了怎么办", idETBPassword},
	{"电子税务局登陆密码重置", idETBPassword},
	{"电子税务局怎么给会计授权办税", idAddClerk},
	{"电子税务局网页打不开", idETBError},
	{"查一下我们公司的纳税信用等级", idCreditQuery},
	{"纳税信用是C级，怎么修复", idCreditRepair},
	{"小规模纳税人每个月10万以下免增值税吗", idSmallScale},
	{"小规模转一般纳税人怎么办", idGeneralTaxpyr},
	{"专票勾选抵扣在哪里操作", idDeductInput},
	{"印花税税率", idStampDuty},
	{"签了购销合同要交印花税吗", idStampDuty},
	{"房产税几月份申报", idPropertyTax},
	{"三方协议怎么签", idTripartite},
	{"12366人工几点上班", idHotline},
	{"怎么打印完税证明", idTaxCertificate},
	{"  个税　汇算！！什么时候？？ ", idAnnualIIT},
	{"个税汇算甚么时候办", idAnnualIIT},   // typo: 甚么
	{"电子税物局密码忘了", idETBPassword}, // typo: 税物
}

// unrelated are texts no entry answers.
var unrelated = []string{"你好", "天气怎么样", "asdf", "", "！！！", "谢谢", "在吗", "今天天气怎么样啊",
	"明天下午去看电影吗", "哈哈哈哈", "1234", "ok", "好的收到", "税", "我要投诉"}

func TestIndex_Match(t *testing.T) {
	ix := kb.NewIndex(kb.Default(), kb.Options{})
	lowest := 1.0
	for _, q := range questions {
		t.Run(q.text, func(t *testing.T) {
			m, ok := ix.Match(q.text)
			if !ok || m.Entry.ID != q.want {
				top := ix.Top(q.text, 3)
				var s []string
				for _, m := range top {
					s = append(s, fmt.Sprintf("%d %.3f %v", m.Entry.ID, m.Score, m.Keywords))
				}
				t.Errorf("Match(%q) = %d (%.3f, ok %v), want %d; top %s", q.text, m.Entry.ID, m.Score, ok, q.want, strings.Join(s, "; "))
			}
			lowest = min(lowest, m.Score)
		})
	}
	var highest float64
	for _, text := range unrelated {
		t.Run("ErrNoMatch/"+text, func(t *testing.T) {
			m, ok := ix.Match(text)
			if ok {
				t.Errorf("Match(%q) = %d %q (%.3f), want no match", text, m.Entry.ID, m.Entry.Question, m.Score)
			}
			highest = max(highest, m.Score)
		})
	}
	t.Logf("lowest score of a question: %.3f; highest of an unrelated text: %.3f; threshold %.2f", lowest, highest, ix.Threshold())
}

func TestIndex_Top(t *testing.T) {
	ix := kb.NewIndex(kb.Default(), kb.Options{})
	top := ix.Top("发票", 5)
	if len(top) != 5 {
		t.Fatalf("Top(发票, 5) = %d matches, want 5", len(top))
	}
	for i, m := range top {
		if m.Score < 0 || m.Score > 1 {
			t.Errorf("score %d = %v, want in [0, 1]", i, m.Score)
		}
		if i > 0 && m.Score > top[i-1].Score {
			t.Errorf("Top not sorted: %v after %v", m.Score, top[i-1].Score)
		}
	}
	if got := ix.Top("发票", 0); got != nil {
		t.Errorf("Top(n=0) = %v, want nil", got)
	}
	m, _ := ix.Match("印花税怎么申报")
	if len(m.Keywords) == 0 || m.Keywords[0] != "印花税" {
		t.Errorf("keywords found = %v, want 印花税", m.Keywords)
	}
	m.Entry.Keywords[0] = "changed"
	if again, _ := ix.Match("印花税怎么申报"); again.Entry.Keywords[0] == "changed" {
		t.Errorf("a Match shares the index's keywords")
	}
}

func TestIndex_Ties(t *testing.T) {
	a := kb.Entry{ID: 7, Question: "印花税怎么申报？", Answer: "甲", Enabled: true}
	b := a
	b.ID, b.Answer = 3, "乙"
	top := kb.NewIndex([]kb.Entry{a, b}, kb.Options{}).Top("印花税申报", 2)
	if len(top) != 2 || top[0].Entry.ID != 7 || top[1].Entry.ID != 3 || top[0].Score != top[1].Score {
		t.Errorf("Top = %+v, want both, equal, in the order given", top)
	}
}

func TestIndex_Options(t *testing.T) {
	entries := kb.Default()
	entries[idStampDuty-1].Enabled = false
	ix := kb.NewIndex(entries, kb.Options{Threshold: 0.99})
	if ix.Len() != len(entries)-1 {
		t.Errorf("Len = %d, want %d (the disabled entry left out)", ix.Len(), len(entries)-1)
	}
	if m, ok := ix.Match("印花税税率是多少"); ok || m.Entry.ID == idStampDuty {
		t.Errorf("Match = %d (ok %v), want no match: the entry is disabled and the threshold high", m.Entry.ID, ok)
	}
	if m, ok := kb.NewIndex(nil, kb.Options{}).Match("印花税"); ok || m.Entry.ID != 0 {
		t.Errorf("empty index matched %+v", m)
	}
	if got := kb.NewIndex(nil, kb.Options{}).Threshold(); got != kb.DefaultThreshold {
		t.Errorf("Threshold = %v, want %v", got, kb.DefaultThreshold)
	}
}

// TestIndex_Concurrent matches from several goroutines over two indexes
// of different sizes, which share scratch space.
func TestIndex_Concurrent(t *testing.T) {
	small, big := kb.NewIndex(kb.Default(), kb.Options{}), kb.NewIndex(bigKB(300), kb.Options{})
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			ix := small
			if g%2 == 1 {
				ix = big
			}
			for i := range 200 {
				q := questions[(i+g)%len(questions)]
				if m, ok := ix.Match(q.text); !ok || m.Entry.ID != q.want && ix == small {
					t.Errorf("Match(%q) = %d (ok %v), want %d", q.text, m.Entry.ID, ok, q.want)
					return
				}
			}
		})
	}
	wg.Wait()
}

// bigKB returns n entries: the default ones and generated variations of
// them, so that bigrams repeat as in a real knowledge base.
func bigKB(n int) []kb.Entry {
	base := kb.Default()
	r := rand.New(rand.NewPCG(1, 2))
	topics := []string{"个体工商户", "小微企业", "外籍人员", "高新技术企业", "房地产企业", "建筑业", "跨境电商", "农业合作社",
		"律师事务所", "医疗机构", "学校", "物业公司", "餐饮企业", "运输企业", "软件企业", "非营利组织"}
	out := append([]kb.Entry(nil), base...)
	for len(out) < n {
		b := base[r.IntN(len(base))]
		topic := topics[r.IntN(len(topics))]
		e := b
		e.ID = int64(len(out) + 1)
		e.Question = fmt.Sprintf("%s%s（第%d条）", topic, b.Question, len(out))
		e.Keywords = append([]string{topic}, b.Keywords...)
		out = append(out, e)
	}
	return out
}

func BenchmarkIndex_Match(b *testing.B) {
	ix := kb.NewIndex(bigKB(1000), kb.Options{})
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		ix.Match(questions[i%len(questions)].text)
	}
}

func BenchmarkNewIndex(b *testing.B) {
	entries := bigKB(1000)
	for b.Loop() {
		kb.NewIndex(entries, kb.Options{})
	}
}
