package taxsms

import (
	"time"
)

// ContactRole is a contact's role for its taxpayer (Art. 3).
type ContactRole string

// Contact roles.
const (
	RoleLegalRep     ContactRole = "legal_rep"     // 法定代表人
	RoleFinance      ContactRole = "finance"       // 财务负责人
	RoleFinanceChief ContactRole = "finance_chief" // 财务主管
	RoleTaxClerk     ContactRole = "tax_clerk"     // 办税人员
)

// ContactRoles lists every contact role.
var ContactRoles = []ContactRole{RoleLegalRep, RoleFinance, RoleFinanceChief, RoleTaxClerk}

// Valid reports whether r is a known contact role.
func (r ContactRole) Valid() bool {
	for _, v := range ContactRoles {
		if r == v {
			return true
		}
	}
	return false
}

// ServiceStatus is the state of a contact's SMS service (Art. 12-13).
type ServiceStatus string

// Service states.
const (
	ServicePending   ServiceStatus = "pending"   // entered, not yet activated
	ServiceActive    ServiceStatus = "active"    // receives messages
	ServiceCancelled ServiceStatus = "cancelled" // ended by the bureau (e.g. registration cancelled)
	ServiceOptedOut  ServiceStatus = "opted_out" // ended by the contact (TD, 退订)
)

// Valid reports whether s is a known service status.
func (s ServiceStatus) Valid() bool {
	switch s {
	case ServicePending, ServiceActive, ServiceCancelled, ServiceOptedOut:
		return true
	}
	return false
}

// Channel is how a change of service reached the platform.
type Channel string

// Channels.
const (
	ChannelWindow Channel = "window"       // a clerk at the service window
	ChannelSelf   Channel = "self_service" // the taxpayer, online or by SMS
	ChannelImport Channel = "import"       // a bulk import
	ChannelSystem Channel = "system"       // the platform itself (e.g. registration cancelled)
)

// Valid reports whether c is a known channel.
func (c Channel) Valid() bool {
	switch c {
	case ChannelWindow, ChannelSelf, ChannelImport, ChannelSystem:
		return true
	}
	return false
}

// Contact is a person who receives a taxpayer's messages in one role.
// A taxpayer has at most one contact per role.
type Contact struct {
	ID            int64
	TaxpayerID    int64
	Role          ContactRole
	Name          string
	Mobile        string // 11 digits; encrypted at rest, masked when shown
	Status        ServiceStatus
	StatusSince   time.Time // when Status last changed
	StatusChannel Channel   // how it last changed

	CreatedAt time.Time
	UpdatedAt time.Time
}

// Validate normalises Mobile and returns an EINVALID error naming the first
// bad field.
func (c *Contact) Validate() error {
	if c.TaxpayerID <= 0 {
		return Invalid("taxpayer", "required")
	}
	if !c.Role.Valid() {
		return Invalid("role", "unknown contact role %q", c.Role)
	}
	if err := checkText("name", c.Name, 0, 50); err != nil {
		return err
	}
	m, err := NormalizeMobile(c.Mobile)
	if err != nil {
		return err
	}
	c.Mobile = m
	if c.Status == "" {
		c.Status = ServicePending
	}
	if !c.Status.Valid() {
		return Invalid("status", "unknown service status %q", c.Status)
	}
	if c.StatusChannel == "" {
		c.StatusChannel = ChannelWindow
	}
	if !c.StatusChannel.Valid() {
		return Invalid("channel", "unknown channel %q", c.StatusChannel)
	}
	return nil
}

// ContactEvent is one change of a contact's service, kept for the service
// deadlines of Art. 12 and for the audit of who changed what.
type ContactEvent struct {
	ContactID int64
	At        time.Time
	Status    ServiceStatus
	Channel   Channel
	Mobile    string // masked number after the change
}
