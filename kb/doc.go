// Package kb is the knowledge base of tax questions that the platform
// answers by SMS: entries of a question, its answer (at most MaxAnswer
// characters), keywords and a category, and an Index that finds the entry a
// taxpayer's text asks about.
//
// Chinese is written without spaces, so the Index does not segment words:
// it compares character bigrams, weighted by TF-IDF, and boosts entries
// whose keywords appear in the text. Its score lies in [0, 1]; under the
// threshold (DefaultThreshold unless set) Match reports no good match, and
// the text is for staff to answer.
//
// Known limits: traditional characters, pinyin and synonyms outside an
// entry's keywords are not matched; a typo costs the two bigrams it sits
// in, so a short question with a typo may fall under the threshold.
package kb
