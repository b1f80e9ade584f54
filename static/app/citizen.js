// The public report form: a device id kept in this browser (for the per-device limit and the block list),
// the phone's GPS, and the open cases already reported near the pin ("已有人报告 …").
const $ = (id) => document.getElementById(id);

function deviceID() {
  let id = localStorage.getItem('em-device');
  if (!id) {
    id = Array.from(crypto.getRandomValues(new Uint8Array(12)), (b) => b.toString(16).padStart(2, '0')).join('');
    localStorage.setItem('em-device', id);
  }
  return id;
}

async function nearby() {
  const lon = $('lon').value, lat = $('lat').value, box = $('nearby');
  if (!lon || !lat) return;
  const q = new URLSearchParams({ lon, lat, category: $('category').value });
  const res = await fetch('/api/v1/public/nearby?' + q);
  if (!res.ok) return;
  const { items } = await res.json();
  box.hidden = items.length === 0;
  box.textContent = items.length === 0 ? '' : '已有人报告: ' +
    items.map((c) => `${c.category_name}, ${Math.round(c.distance_m)} m`).join('；') + '。如是同一问题，无需重复报告。';
}

$('device').value = deviceID();
$('gps').addEventListener('click', () => {
  navigator.geolocation?.getCurrentPosition((p) => {
    $('lon').value = p.coords.longitude.toFixed(6);
    $('lat').value = p.coords.latitude.toFixed(6);
    nearby();
  });
});
for (const id of ['lon', 'lat', 'category']) $(id).addEventListener('change', nearby);
nearby();
