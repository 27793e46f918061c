/**
 * Who a session counts for in Totals and `report`: a person, known by their
 * main card in People. A session keeps the card it was clocked under (an old
 * card made an alias later keeps its closed sessions) and the name it was
 * clocked in under (a rename changes the next sessions only), so neither the
 * card nor the name alone tells one person from another.
 */
import { lookUp, nameOf, type Directory } from './directory';

/**
 * The person a card's sessions count for: the main card People lists the card
 * under (as itself or as an alias), or the card itself when People does not list it.
 */
export function personKey(directory: Directory, card: string): string {
  return lookUp(directory, card)?.card ?? card;
}

/** The name People gives the person of a main card, or null (not listed, or not named yet). */
export function listedName(directory: Directory, key: string): string | null {
  return nameOf(lookUp(directory, key));
}
