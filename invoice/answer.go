package invoice

import (
	"fmt"

	"taxsms"
)

// Usage is the syntax reminder that follows a reply to a check that could
// not be read.
var Usage = map[string]string{
	"zh": "格式：FP 发票代码 发票号码，或FP 20位数电票号码。",
	"en": "Send: FP <code> <number>, or FP <20-digit number>.",
}

// Answer returns the SMS reply to the check q: r is what the registry
// found, err what went wrong (a *ParseError from Parse, ENOTFOUND from the
// registry, anything else meaning the registry could not be asked). lang
// "en" answers in English; anything else in Chinese. A valid invoice is
// answered with its seller and date of issue, never its amount (see the
// package comment). Replies fit in one SMS (70 characters) unless the
// seller's name is long.
func Answer(q Query, r *Record, err error, lang string) string {
	en := lang == "en"
	if err != nil {
		if pe := asParseError(err); pe != nil {
			if en {
				return sentence(pe.Err.Message) + " " + Usage["en"]
			}
			return pe.ZH + Usage["zh"]
		}
		if taxsms.ErrorCode(err) == taxsms.ENOTFOUND {
			if en {
				return fmt.Sprintf("Invoice %s not found. Check the digits; a new invoice may take a day to appear.", label(q, true))
			}
			return fmt.Sprintf("未查到发票%s，请核对后重发；新开发票可能次日才能查到。", label(q, false))
		}
		if en {
			return "The invoice check is unavailable. Please try again later."
		}
		return "发票查询暂不可用，请稍后再试。"
	}
	if r == nil {
		return Answer(q, nil, taxsms.Errorf(taxsms.ENOTFOUND, "no invoice %s", q), lang)
	}
	id := label(r.Query(), en)
	if en {
		switch r.Status {
		case StatusValid:
			return fmt.Sprintf("Invoice %s is valid: issued by %s on %s.", id, r.SellerName, r.IssuedOn)
		case StatusVoid:
			return fmt.Sprintf("Invoice %s is VOID. Do not accept it.", id)
		case StatusReversed:
			return fmt.Sprintf("Invoice %s was reversed by a red-letter invoice. It is no longer valid.", id)
		}
		return fmt.Sprintf("Invoice %s is an ABNORMAL voucher: do not deduct or claim it; ask the seller or your tax office.", id)
	}
	switch r.Status {
	case StatusValid:
		return fmt.Sprintf("发票%s有效。销售方：%s，开票日期：%s。", id, r.SellerName, r.IssuedOn)
	case StatusVoid:
		return fmt.Sprintf("发票%s已作废，请勿使用。", id)
	case StatusReversed:
		return fmt.Sprintf("发票%s已红冲（已开具红字发票），不再有效。", id)
	}
	return fmt.Sprintf("发票%s为异常凭证，暂不得抵扣或报销，请联系销售方或主管税务机关。", id)
}

// label names an invoice in a reply: by its number after a code, by its
// last eight digits for a 数电 number.
func label(q Query, en bool) string {
	switch {
	case q.Code != "":
		if en {
			return "no. " + q.Number
		}
		return "号码" + q.Number
	case len(q.Number) == 20:
		if en {
			return "ending " + q.Number[12:]
		}
		return "尾号" + q.Number[12:]
	}
	return ""
}

// sentence returns s with its first letter in upper case and a full stop.
func sentence(s string) string {
	if s != "" && s[0] >= 'a' && s[0] <= 'z' {
		s = string(s[0]-'a'+'A') + s[1:]
	}
	return s + "."
}
