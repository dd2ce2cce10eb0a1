/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The 82574L's registers and TX descriptors this driver uses, named as
 * drivers/net/ethernet/intel/e1000e/{regs,defines,hw}.h name them (values
 * from the 82574 datasheet, checked against QEMU 7.2's e1000e model).
 * BAR0 is little-endian and QEMU takes 32-bit accesses only.
 */
#ifndef TSEND_REPLAY_E1000E_REGS_H
#define TSEND_REPLAY_E1000E_REGS_H

#include <linux/types.h>

#define E1000_CTRL     0x00000
#define E1000_STATUS   0x00008
#define E1000_CTRL_EXT 0x00018
#define E1000_ICR      0x000C0
#define E1000_IMC      0x000D8
#define E1000_RCTL     0x00100
#define E1000_TCTL     0x00400
#define E1000_TIPG     0x00410
#define E1000_TDBAL    0x03800
#define E1000_TDBAH    0x03804
#define E1000_TDLEN    0x03808
#define E1000_TDH      0x03810
#define E1000_TDT      0x03818
#define E1000_TIDV     0x03820
#define E1000_TXDCTL   0x03828
#define E1000_TADV     0x0382C
#define E1000_TARC0    0x03840
/* statistics: clear on read */
#define E1000_GPTC  0x04080 /* good packets transmitted */
#define E1000_GOTCL 0x04090 /* good octets transmitted, low then high */
#define E1000_GOTCH 0x04094
#define E1000_TPT   0x040D4 /* total packets transmitted */
#define E1000_TSCTC 0x040F8 /* TCP segmentation contexts transmitted */

#define E1000_CTRL_SLU 0x00000040U /* set link up */
#define E1000_CTRL_RST 0x04000000U /* global reset, self-clearing */

#define E1000_STATUS_LU 0x00000002U

#define E1000_TCTL_EN	0x00000002U
#define E1000_TCTL_PSP	0x00000008U /* pad short packets */
#define E1000_TCTL_CT	(15U << 4)  /* collision threshold */
#define E1000_TCTL_COLD (63U << 12) /* collision distance, full duplex */
#define E1000_TCTL_RTLC 0x01000000U /* retransmit on late collision */

/* IPGT 8, IPGR1 8, IPGR2 6: e1000e's DEFAULT_82543_TIPG_* for copper */
#define E1000_TIPG_DEFAULT 0x00602008U
/* PTHRESH 31, HTHRESH 1, WTHRESH 1, GRAN (descriptors), and bit 22, which
 * the 82574 wants set: e1000_configure_tx()'s value for this part */
#define E1000_TXDCTL_82574 0x0141011FU
/* TARC0 bit 10 must stay set: QEMU transmits nothing without it */
#define E1000_TARC0_ENABLE (1U << 10)

/* TX descriptor command bits (lower dword, bits 31:24 of a data one) */
#define E1000_TXD_CMD_EOP    0x01000000U /* end of packet */
#define E1000_TXD_CMD_IFCS   0x02000000U /* insert FCS */
#define E1000_TXD_CMD_RS     0x08000000U /* report status: write DD back */
#define E1000_TXD_CMD_DEXT   0x20000000U /* extended descriptor */
#define E1000_TXD_CMD_TSE    0x04000000U /* TCP segmentation (data desc.) */
#define E1000_TXD_CMD_TCP    0x01000000U /* context: TCP, not UDP */
#define E1000_TXD_CMD_IP     0x02000000U /* context: IPv4, not IPv6 */
#define E1000_TXD_DTYP_D     0x00100000U /* extended data descriptor */
#define E1000_TXD_POPTS_IXSM 0x01U	 /* insert the IP checksum */
#define E1000_TXD_POPTS_TXSM 0x02U	 /* insert the TCP/UDP checksum */
#define E1000_TXD_STAT_DD    0x00000001U /* descriptor done */

/* A data descriptor, legacy or extended: lower is cmd and length, upper
 * status and (extended) POPTS at bits 15:8. */
struct e1000_tx_desc {
	__le64 buffer_addr;
	__le32 lower;
	__le32 upper;
};

/* A context descriptor: where the NIC finds the headers it fills. */
struct e1000_context_desc {
	__u8 ipcss; /* IP checksum start */
	__u8 ipcso; /* IP checksum offset */
	__le16 ipcse;
	__u8 tucss; /* TCP checksum start */
	__u8 tucso; /* TCP checksum offset */
	__le16 tucse;
	__le32 cmd_and_length;
	__u8 status;
	__u8 hdr_len;
	__le16 mss;
};

#endif /* TSEND_REPLAY_E1000E_REGS_H */
