import sharp from 'sharp';

/** A simple drawn portrait (no network, no binary files in the repo) for a demo user's photo. */
export async function drawPortrait(skin: string, hair: string, background: [string, string], shirt: string): Promise<Buffer> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="512" height="512" viewBox="0 0 512 512">
  <defs><linearGradient id="bg" x1="0" y1="0" x2="1" y2="1">
    <stop offset="0" stop-color="${background[0]}"/><stop offset="1" stop-color="${background[1]}"/>
  </linearGradient></defs>
  <rect width="512" height="512" fill="url(#bg)"/>
  <path d="M96 512c0-110 72-170 160-170s160 60 160 170z" fill="${shirt}"/>
  <rect x="226" y="290" width="60" height="70" rx="24" fill="${skin}"/>
  <ellipse cx="256" cy="220" rx="92" ry="104" fill="${skin}"/>
  <path d="M160 214c0-78 44-126 98-126s94 46 94 122c-20-34-58-58-96-62-34 8-70 30-96 66z" fill="${hair}"/>
  <circle cx="222" cy="228" r="9" fill="#2b2b2b"/><circle cx="292" cy="228" r="9" fill="#2b2b2b"/>
  <path d="M226 274q30 22 60 0" stroke="#7a3b2e" stroke-width="7" fill="none" stroke-linecap="round"/>
</svg>`;
  return sharp(Buffer.from(svg)).jpeg({ quality: 85 }).toBuffer();
}
