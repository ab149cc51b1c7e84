package content

import (
	"bufio"
	"bytes"
	"strings"

	"taxsms"
)

// Category is one of the prohibited categories of Art. 18 of the bureau's SMS
// measures, or one of the kinds of flag the check adds (links, numbers, text
// unrelated to tax work). The ids are stable: lists and stored overrides use them.
type Category string

// The prohibited categories, in the order of Art. 18 (items 1 to 9; item 10,
// content unrelated to tax work, is the tax vocabulary check: Unrelated).
const (
	AgainstConstitution Category = "against_constitution"        // (一) 反对宪法所确定的基本原则
	StateSecurity       Category = "state_security"              // (二) 危害国家安全，泄露国家秘密，颠覆国家政权，破坏国家统一
	NationalHonour      Category = "national_honour"             // (三) 损害国家荣誉和利益
	EthnicHatred        Category = "ethnic_hatred"               // (四) 煽动民族仇恨、民族歧视，破坏民族团结
	CultsSuperstition   Category = "cults_superstition"          // (五) 破坏国家宗教政策，宣扬邪教和封建迷信
	Rumours             Category = "rumours"                     // (六) 散布谣言，扰乱社会秩序，破坏社会稳定
	ObscenityViolence   Category = "obscenity_gambling_violence" // (七) 淫秽、色情、赌博、暴力、凶杀、恐怖或者教唆犯罪
	InsultDefamation    Category = "insult_defamation"           // (八) 侮辱或者诽谤他人，侵害他人合法权益
	OtherIllegal        Category = "other_illegal"               // (九) 法律、行政法规禁止的其他内容

	Unrelated Category = "unrelated_to_tax" // (十) 与税收工作无关的内容: no tax term in the text
	Link      Category = "link"             // a link to a host not on the allow-list
	Phone     Category = "phone"            // a telephone number not on the allow-list
)

// Prohibited lists the categories a word list may name, in the order of Art. 18.
var Prohibited = []Category{
	AgainstConstitution, StateSecurity, NationalHonour, EthnicHatred, CultsSuperstition,
	Rumours, ObscenityViolence, InsultDefamation, OtherIllegal,
}

func prohibited(c Category) bool {
	for _, p := range Prohibited {
		if p == c {
			return true
		}
	}
	return false
}

// Term is one entry of the prohibited word list.
type Term struct {
	Category Category
	Term     string // as written in the list; matched after normalisation
}

// Allow is the allow-list: hosts whose links may be sent (a host allows its
// subdomains) and telephone numbers that may be given (digits only; a short
// service number such as 12366 is also allowed behind an area code).
type Allow struct {
	Hosts  []string
	Phones []string
}

// lines calls fn with every non-blank, non-comment line (trimmed) and its number.
func lines(data []byte, fn func(n int, line string) error) error {
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if err := fn(n, line); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return taxsms.Invalid("list", "line %d: %v", n+1, err)
	}
	return nil
}

// ParseTerms reads a prohibited word list: one "category term" per line, the
// category one of Prohibited, the term the rest of the line; blank lines and
// lines starting with # are ignored.
func ParseTerms(data []byte) ([]Term, error) {
	var terms []Term
	err := lines(data, func(n int, line string) error {
		i := strings.IndexAny(line, " \t")
		if i < 0 {
			return taxsms.Invalid("words", "line %d: want \"category term\", got %q", n, line)
		}
		cat, term := line[:i], strings.TrimSpace(line[i+1:])
		if term == "" {
			return taxsms.Invalid("words", "line %d: want \"category term\", got %q", n, line)
		}
		if !prohibited(Category(cat)) {
			return taxsms.Invalid("words", "line %d: unknown category %q", n, cat)
		}
		if len(normalizeTerm(term)) == 0 {
			return taxsms.Invalid("words", "line %d: term %q has no letter or digit", n, term)
		}
		terms = append(terms, Term{Category: Category(cat), Term: term})
		return nil
	})
	return terms, err
}

// ParseVocabulary reads the tax vocabulary: one term per line; blank lines
// and lines starting with # are ignored.
func ParseVocabulary(data []byte) ([]string, error) {
	var terms []string
	err := lines(data, func(n int, line string) error {
		if len(normalizeTerm(line)) == 0 {
			return taxsms.Invalid("vocabulary", "line %d: term %q has no letter or digit", n, line)
		}
		terms = append(terms, line)
		return nil
	})
	return terms, err
}

// ParseAllow reads the allow-list: lines "host example.gov.cn" and
// "phone 12366" (separators in numbers are ignored); blank lines and lines
// starting with # are ignored.
func ParseAllow(data []byte) (Allow, error) {
	var a Allow
	err := lines(data, func(n int, line string) error {
		kind, value := line, ""
		if i := strings.IndexAny(line, " \t"); i >= 0 {
			kind, value = line[:i], strings.TrimSpace(line[i+1:])
		}
		switch kind {
		case "host":
			h := strings.ToLower(strings.TrimSuffix(value, "."))
			if !validHost(h) {
				return taxsms.Invalid("allow", "line %d: %q is not a host name", n, value)
			}
			a.Hosts = append(a.Hosts, h)
		case "phone":
			d := digits(value)
			if len(d) < 3 || len(d) > 15 || strings.Trim(value, "0123456789-+ ()") != "" {
				return taxsms.Invalid("allow", "line %d: %q is not a telephone number", n, value)
			}
			a.Phones = append(a.Phones, d)
		default:
			return taxsms.Invalid("allow", "line %d: want \"host name\" or \"phone number\", got %q", n, line)
		}
		return nil
	})
	return a, err
}

func validHost(h string) bool {
	if h == "" || len(h) > 253 || !strings.Contains(h, ".") {
		return false
	}
	for _, label := range strings.Split(h, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, r := range label {
			if !('a' <= r && r <= 'z' || '0' <= r && r <= '9' || r == '-') {
				return false
			}
		}
	}
	return true
}

func digits(s string) string {
	var b strings.Builder
	for _, r := range s {
		if '0' <= r && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}
