package kb_test

import (
	"fmt"

	"taxsms/kb"
)

func ExampleIndex_Match() {
	ix := kb.NewIndex(kb.Default(), kb.Options{})
	for _, text := range []string{"印花税税率是多少", "电子税务局密码忘了", "天气怎么样"} {
		m, ok := ix.Match(text)
		if !ok {
			fmt.Printf("%s -> no good match: a consultation for staff\n", text)
			continue
		}
		fmt.Printf("%s -> %s %v\n", text, m.Entry.Question, m.Keywords)
	}
	// Output:
	// 印花税税率是多少 -> 印花税怎么申报？税率是多少？ [印花税]
	// 电子税务局密码忘了 -> 电子税务局登录密码忘了怎么重置？ [电子税务局密码]
	// 天气怎么样 -> no good match: a consultation for staff
}
