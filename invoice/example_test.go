package invoice_test

import (
	"fmt"

	"taxsms"
	"taxsms/invoice"
)

func Example() {
	q, err := invoice.Parse("fp 037021900111，12345678")
	fmt.Println(q, err)
	// The registry's record (here written out) answers the check.
	r := &invoice.Record{Code: q.Code, Number: q.Number, Status: invoice.StatusValid,
		SellerName: "青岛海纳贸易有限公司", IssuedOn: taxsms.Date{Year: 2026, Month: 11, Day: 20}, Amount: 113000}
	fmt.Println(invoice.Answer(q, r, nil, "zh"))

	_, err = invoice.Parse("FP 12345678")
	fmt.Println(invoice.Answer(invoice.Query{}, nil, err, "zh"))
	// Output:
	// 037021900111 12345678 <nil>
	// 发票号码12345678有效。销售方：青岛海纳贸易有限公司，开票日期：2026-11-20。
	// 缺少发票代码。格式：FP 发票代码 发票号码，或FP 20位数电票号码。
}
