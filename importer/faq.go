package importer

import "taxsms/kb"

// The columns of a knowledge base file: a question, its answer, keywords
// (separated by 、, commas, semicolons or spaces) and a category; an empty
// enabled cell is enabled.
const (
	qQuestion = iota
	qAnswer
	qKeywords
	qCategory
	qEnabled
)

var faqColumns = []column{
	qQuestion: {name: "question", aliases: []string{"问题", "问题描述", "常见问题", "提问"}, required: true},
	qAnswer:   {name: "answer", aliases: []string{"答案", "答复", "回答", "解答"}, required: true},
	qKeywords: {name: "keywords", aliases: []string{"关键词", "关键字", "keyword"}},
	qCategory: {name: "category", aliases: []string{"分类", "类别", "类型"}},
	qEnabled:  {name: "enabled", aliases: []string{"启用", "是否启用"}},
}

func (r *run) parseFAQ(c *rowCtx) *kb.Entry {
	e := &kb.Entry{
		Question: c.get(qQuestion),
		Answer:   c.get(qAnswer),
		Keywords: kb.ParseKeywords(c.get(qKeywords)),
		Category: c.get(qCategory),
		Enabled:  c.enum(qEnabled, booleans, "true") == "true",
	}
	if err := e.Validate(); err != nil {
		c.domain(err)
	}
	return e
}

func (r *run) checkFAQ(c *rowCtx, e *kb.Entry) { r.dup(c, e.Question) }
