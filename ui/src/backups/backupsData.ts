/** namePattern is PocketBase's rule for backup names, which the server applies. */
export const namePattern = /^[a-z0-9_-]+\.zip$/;

/** checkName returns why a backup name would be refused, or "" (an empty name lets the server pick one). */
export function checkName(name: string): string {
  if (name === "") return "";
  if (name.length > 150) return "At most 150 characters.";
  if (!namePattern.test(name)) return "Lowercase letters, digits, _ and -, ending in .zip.";
  return "";
}

/** formatSize writes bytes as "512 B", "1.5 KB", "12 MB" or "1.2 GB". */
export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ["KB", "MB", "GB", "TB"];
  let v = bytes / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[i]}`;
}

/** isAutomatic reports whether a backup was made by the schedule (the backups settings). */
export function isAutomatic(key: string): boolean {
  return key.startsWith("@auto_");
}

/** formatModified writes the server's UTC date ("2026-12-06 03:00:00.000Z") in the browser's time. */
export function formatModified(date: string): string {
  const d = new Date(date.replace(" ", "T"));
  return Number.isNaN(d.getTime()) ? date : d.toLocaleString();
}
