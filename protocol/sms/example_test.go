package sms_test

import (
	"fmt"

	"taxsms/protocol/sms"
)

func Example() {
	const text = "尊敬的纳税人：您本月的增值税申报期限为十五日，请及时办理申报缴税。逾期申报将产生滞纳金，如有疑问请拨打纳税服务热线或登录电子税务局查询。"
	const signature = "【12366】" // added by the carrier

	// A Chinese carrier link takes ASCII and UCS-2, not GSM 7-bit.
	c, _ := sms.Choose(text, signature, sms.ASCII, sms.UCS2)
	n, _ := sms.Count(text, signature, c)
	segs, _ := sms.Split(text, sms.SplitOptions{Coding: c, Ref: 42, CarrierSignature: signature})
	msgFmt, _ := c.MsgFmt()
	fmt.Printf("%v (Msg_Fmt %d), billed %d, %d segments\n", c, msgFmt, n, len(segs))
	for _, s := range segs {
		fmt.Printf("segment %d/%d: UDH % x, %d octets\n", s.Seq, s.Total, s.UDH, len(s.Payload))
	}

	// The handset's reply arrives in two parts, the second first.
	r := sms.NewReassembler(sms.ReassemblerConfig{})
	for _, s := range []sms.Segment{segs[1], segs[0]} {
		msgs, err := r.Add(sms.Fragment{Source: "13800138000", Dest: "12366", Coding: c, UDHI: true, Content: s.AppendContent(nil)})
		if err != nil {
			fmt.Println(err)
		}
		for _, m := range msgs {
			fmt.Println(m.Text == text, m.Incomplete())
		}
	}
	// Output:
	// UCS2 (Msg_Fmt 8), billed 2, 2 segments
	// segment 1/2: UDH 05 00 03 2a 02 01, 120 octets
	// segment 2/2: UDH 05 00 03 2a 02 02, 16 octets
	// true false
}
