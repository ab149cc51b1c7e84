package report_test

import (
	"fmt"

	"taxsms"
	"taxsms/report"
	"taxsms/store"
)

func ExampleReception() {
	counts := []store.ReceptionCount{ // as store.Reception returns them
		{OfficeID: 2, Kind: taxsms.KindUnpaidTax, Carrier: taxsms.CarrierMobile, Status: taxsms.StatusDelivered, Messages: 96},
		{OfficeID: 2, Kind: taxsms.KindUnpaidTax, Carrier: taxsms.CarrierMobile, Status: taxsms.StatusFailed, Messages: 4},
		{OfficeID: 2, Kind: taxsms.KindUnpaidTax, Carrier: taxsms.CarrierUnicom, Status: taxsms.StatusDelivered, Messages: 45},
		{OfficeID: 2, Kind: taxsms.KindUnpaidTax, Carrier: taxsms.CarrierUnicom, Status: taxsms.StatusRejected, Messages: 5},
	}
	tab := report.Reception(counts)
	for _, l := range tab.ByCarrier {
		fmt.Println(l.Carrier, l.Rate())
	}
	fmt.Println("all", tab.Total.Rate())
	// Output:
	// mobile 96.0%
	// unicom 90.0%
	// all 94.0%
}
