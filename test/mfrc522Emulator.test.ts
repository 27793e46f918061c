/**
 * The real mfrc522-rpi code against the register-level emulator: the chip
 * behaves as the data sheet says, and the package's own calls work on it.
 */
import { loadMfrc522, type Mfrc522Chip } from '../src/drivers/reader/mfrc522/mfrc522Rpi';
import { crcA } from '../src/drivers/reader/mfrc522/uid';
import { crc16A, EmulatedField, Mfrc522Emulator, virtualCard } from './support/mfrc522Emulator';

const Reg = {
  Command: 0x01,
  ComIrq: 0x04,
  DivIrq: 0x05,
  Error: 0x06,
  Status2: 0x08,
  FIFOData: 0x09,
  FIFOLevel: 0x0a,
  Coll: 0x0e,
  TxControl: 0x14,
  TMode: 0x2a,
  TReloadL: 0x2d,
  Version: 0x37,
};

const MFRC522 = loadMfrc522();
const defaultKey = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff];

function setUp(): { field: EmulatedField; chip: Mfrc522Emulator; driver: Mfrc522Chip } {
  const field = new EmulatedField();
  const chip = new Mfrc522Emulator({ field });
  const driver = new MFRC522(chip);
  driver.reset();
  return { field, chip, driver };
}

describe('the MFRC522 emulator under mfrc522-rpi', () => {
  it('is opened by the driver and reads VersionReg 0x92', () => {
    const { chip, driver } = setUp();
    expect(chip.isOpen).toBe(true);
    expect(driver.readRegister(Reg.Version)).toBe(0x92);
  });

  it('takes the SPI address byte as read bit 7, register bits 6..1, bit 0 zero', () => {
    const chip = new Mfrc522Emulator({ field: new EmulatedField() });
    chip.write(Uint8Array.from([Reg.TReloadL << 1, 0x42]));
    expect([...chip.transfer(Uint8Array.from([(Reg.TReloadL << 1) | 0x80, 0]))]).toEqual([0, 0x42]);
    // Several registers in one read: each value comes out one byte later.
    const both = chip.transfer(
      Uint8Array.from([(Reg.Version << 1) | 0x80, (Reg.TReloadL << 1) | 0x80, 0]),
    );
    expect([...both]).toEqual([0, 0x92, 0x42]);
    // Bit 0 set is not a valid address byte: the transfer does nothing.
    chip.write(Uint8Array.from([(Reg.TReloadL << 1) | 0x01, 0x99]));
    expect(chip.addressErrors).toBe(1);
    expect(chip.transfer(Uint8Array.from([(Reg.TReloadL << 1) | 0x80, 0]))[1]).toBe(0x42);
  });

  it('holds 64 bytes in its FIFO, flags an overflow and empties on FlushBuffer', () => {
    const { driver } = setUp();
    for (let i = 0; i < 65; i++) driver.writeRegister(Reg.FIFOData, i);
    expect(driver.readRegister(Reg.FIFOLevel)).toBe(64);
    expect(driver.readRegister(Reg.Error) & 0x10).toBe(0x10);
    expect(driver.readRegister(Reg.FIFOData)).toBe(0);
    expect(driver.readRegister(Reg.FIFOData)).toBe(1);
    expect(driver.readRegister(Reg.FIFOLevel)).toBe(62);
    driver.writeRegister(Reg.FIFOLevel, 0x80);
    expect(driver.readRegister(Reg.FIFOLevel)).toBe(0);
    expect(driver.readRegister(Reg.Error) & 0x10).toBe(0);
  });

  it('returns to its reset values on SoftReset', () => {
    const { driver } = setUp();
    expect(driver.readRegister(Reg.TMode)).toBe(0x8d);
    expect(driver.readRegister(Reg.TxControl) & 0x03).toBe(0x03);
    driver.writeRegister(Reg.Command, 0x0f);
    expect(driver.readRegister(Reg.TMode)).toBe(0x00);
    expect(driver.readRegister(Reg.TxControl)).toBe(0x80);
    expect(driver.readRegister(Reg.ComIrq)).toBe(0x14);
    expect(driver.readRegister(Reg.Version)).toBe(0x92);
  });

  it('computes CRC_A in its coprocessor, as ISO 14443-3 and both software CRCs do', () => {
    const { driver } = setUp();
    // mfrc522-rpi leaves CalcCRC running; its own flows send a command (toCard's Idle) between CRCs.
    const crcOf = (bytes: number[]): number[] => {
      const crc = driver.calculateCRC(bytes);
      driver.writeRegister(Reg.Command, 0x00);
      return crc;
    };
    expect(crcOf([0x00, 0x00])).toEqual([0xa0, 0x1e]);
    expect(crcOf([0x12, 0x34])).toEqual([0x26, 0xcf]);
    expect(crc16A([0x00, 0x00])).toEqual([0xa0, 0x1e]);
    expect(crcA([0x12, 0x34])).toEqual([0x26, 0xcf]);
    const select = [0x93, 0x70, 0x04, 0xa3, 0xc6, 0xca, 0xab];
    expect(crcOf(select)).toEqual(crcA(select));
  });

  it('clears an IRQ bit only when it is written with Set2 = 0 and that bit set', () => {
    const { driver } = setUp();
    driver.calculateCRC([0x01]);
    expect(driver.readRegister(Reg.DivIrq) & 0x04).toBe(0x04);
    // mfrc522-rpi's clearRegisterBitMask writes (value & ~mask): that clears the *other* set bits.
    driver.writeRegister(Reg.DivIrq, driver.readRegister(Reg.DivIrq) & ~0x04);
    expect(driver.readRegister(Reg.DivIrq) & 0x04).toBe(0x04);
    driver.writeRegister(Reg.DivIrq, 0x04);
    expect(driver.readRegister(Reg.DivIrq) & 0x04).toBe(0);
  });

  it('times out (TimerIRq) when no card answers REQA', () => {
    const { chip, driver } = setUp();
    const before = chip.elapsedUs;
    expect(driver.findCard().status).toBe(false);
    expect(driver.readRegister(Reg.ComIrq) & 0x01).toBe(0x01);
    // mfrc522-rpi's timer: prescaler 0xD3E, reload 30, so 31 ticks of 0.5 ms.
    expect(chip.elapsedUs - before).toBeGreaterThan(15_000);
  });

  it('finds a card with REQA (16-bit ATQA) and reads a 4-byte UID at cascade level 1', () => {
    const { field, driver } = setUp();
    field.place(virtualCard('DEADBEEF'));
    expect(driver.findCard()).toEqual({ status: true, bitSize: 16 });
    const { status, data } = driver.getUid();
    expect(status).toBe(true);
    expect(data).toEqual([0xde, 0xad, 0xbe, 0xef, 0xde ^ 0xad ^ 0xbe ^ 0xef]);
  });

  it('gives mfrc522-rpi only the cascade tag and three bytes of a 7-byte UID', () => {
    const { field, driver } = setUp();
    field.place(virtualCard('04A3C6CAE26180'));
    expect(driver.findCard().status).toBe(true);
    expect(driver.getUid().data).toEqual([0x88, 0x04, 0xa3, 0xc6, 0x88 ^ 0x04 ^ 0xa3 ^ 0xc6]);
  });

  it('selects, authenticates with MFAuthent and reads a block of a MIFARE Classic', () => {
    const { field, driver } = setUp();
    field.place(virtualCard('DEADBEEF'));
    driver.findCard();
    const uid = driver.getUid().data;
    expect(driver.selectCard(uid)).toBe(0x08);
    expect(driver.authenticate(0, [0, 1, 2, 3, 4, 5], uid)).toBe(false);
    // A wrong key sends the card back to IDLE: it must be found and selected again.
    driver.findCard();
    driver.getUid();
    expect(driver.selectCard(uid)).toBe(0x08);
    expect(driver.authenticate(0, defaultKey, uid)).toBe(true);
    expect(driver.readRegister(Reg.Status2) & 0x08).toBe(0x08);
    expect(driver.getDataForBlock(0).slice(0, 5)).toEqual(uid);
    driver.stopCrypto();
    expect(driver.readRegister(Reg.Status2) & 0x08).toBe(0);
  });

  it('flags a collision when two cards answer anticollision at once', () => {
    const { field, driver } = setUp();
    field.place(virtualCard('11223344'));
    field.place(virtualCard('11A23344'));
    // Both ATQAs are 0x0004: they overlap cleanly.
    expect(driver.findCard().status).toBe(true);
    expect(driver.getUid().status).toBe(false);
    expect(driver.readRegister(Reg.Error) & 0x08).toBe(0x08);
    // 0x22 and 0xA2 first differ in bit 7 of the second byte: bit 16 of the answer.
    expect(driver.readRegister(Reg.Coll) & 0x1f).toBe(16);
  });

  it('reads 0x00 or 0xFF everywhere when the chip is dead, and resets when it comes back', () => {
    const { field, driver } = setUp();
    field.setChip('stuckLow');
    expect(driver.readRegister(Reg.Version)).toBe(0x00);
    field.setChip('stuckHigh');
    expect(driver.readRegister(Reg.Version)).toBe(0xff);
    expect(driver.readRegister(Reg.ComIrq)).toBe(0xff);
    field.setChip('ok');
    expect(driver.readRegister(Reg.Version)).toBe(0x92);
    expect(driver.readRegister(Reg.TMode)).toBe(0x00);
  });

  it('counts every SPI transfer', () => {
    const { chip, driver } = setUp();
    chip.resetCounters();
    driver.readRegister(Reg.Version);
    driver.writeRegister(Reg.TReloadL, 9);
    expect(chip.transfers).toBe(2);
  });

  it('throws from the bus when the SPI fails', () => {
    const { field, driver } = setUp();
    field.setSpiError('EIO: i/o error, ioctl');
    expect(() => driver.readRegister(Reg.Version)).toThrow('EIO');
  });

  it('will not let mfrc522-rpi touch GPIO through rpio', () => {
    const { driver } = setUp();
    expect(() => driver.setResetPin(22)).toThrow(/rpio\) is disabled/);
  });
});
