package awssim

import (
	"slices"
	"strconv"
	"time"
)

// Spot price history: the model's price sampled at every whole hour, each sample in effect until the next one.
const (
	spotHistoryStep   = time.Hour
	spotHistoryWindow = 90 * 24 * time.Hour // EC2 keeps 90 days of history
)

// linuxProductDescriptions are the product descriptions that have spot prices; the simulator prices only Linux.
var linuxProductDescriptions = []string{"Linux/UNIX", "Linux/UNIX (Amazon VPC)"}

type xmlSpotPrice struct {
	AvailabilityZone   string `xml:"availabilityZone"`
	AvailabilityZoneID string `xml:"availabilityZoneId"`
	InstanceType       string `xml:"instanceType"`
	ProductDescription string `xml:"productDescription"`
	SpotPrice          string `xml:"spotPrice"`
	Timestamp          string `xml:"timestamp"`
}

type describeSpotPriceHistoryResponse struct {
	History   []xmlSpotPrice `xml:"spotPriceHistorySet>item"`
	NextToken string         `xml:"nextToken,omitempty"`
}

// spotPool is one (instance type, zone, product description) series of the history.
type spotPool struct {
	typeIndex   int
	zone        zone
	description string
}

// describeSpotPriceHistory lists the hourly samples of the spot price model between StartTime and EndTime (both
// now when absent), newest first, starting with the sample in effect at StartTime, as EC2 does. Items are
// addressed by position, so pages are computed without building the whole history.
func (s *Server) describeSpotPriceHistory(p params, now time.Time) (any, error) {
	pools, err := s.spotPools(p)
	if err != nil {
		return nil, err
	}
	start, err := timeParam(p, "StartTime", now)
	if err != nil {
		return nil, err
	}
	end, err := timeParam(p, "EndTime", now)
	if err != nil {
		return nil, err
	}
	if end.Before(start) {
		return nil, clientError("InvalidParameterValue", "The end time must not be before the start time.")
	}
	end = minTime(end, now)
	start = maxTime(minTime(start, end), now.Add(-spotHistoryWindow))
	newest, oldest := end.Truncate(spotHistoryStep), start.Truncate(spotHistoryStep)
	samples := 0
	if !newest.Before(oldest) {
		samples = int(newest.Sub(oldest)/spotHistoryStep) + 1
	}
	first, last, next, err := p.page(samples*len(pools), 1000, 5, 1000)
	if err != nil {
		return nil, err
	}
	resp := &describeSpotPriceHistoryResponse{NextToken: next, History: []xmlSpotPrice{}}
	for k := first; k < last; k++ {
		at := newest.Add(-time.Duration(k/len(pools)) * spotHistoryStep)
		sp := pools[k%len(pools)]
		facts := s.types[sp.typeIndex]
		price := spotPrice(s.prices[facts.Name], facts.Family, sp.zone.name, s.opts.Seed, at)
		resp.History = append(resp.History, xmlSpotPrice{
			AvailabilityZone:   sp.zone.name,
			AvailabilityZoneID: sp.zone.id,
			InstanceType:       facts.Name,
			ProductDescription: sp.description,
			SpotPrice:          strconv.FormatFloat(price, 'f', 6, 64),
			Timestamp:          at.UTC().Format(launchTimeLayout),
		})
	}
	return resp, nil
}

// spotPools returns the series the request selects, by instance type, then zone, then description.
func (s *Server) spotPools(p params) ([]spotPool, error) {
	filters, err := p.filters()
	if err != nil {
		return nil, err
	}
	types := p.strs("InstanceType")
	for _, t := range types {
		if _, ok := s.typeIndex[t]; !ok {
			return nil, clientError("InvalidParameterValue", "The instance type '%s' does not exist.", t)
		}
	}
	zones := s.zones
	if name := p.str("AvailabilityZone"); name != "" {
		z, ok := s.zoneByName(name)
		if !ok {
			return nil, clientError("InvalidParameterValue", "Invalid availability zone: [%s]", name)
		}
		zones = []zone{z}
	}
	descriptions := []string{linuxProductDescriptions[0]}
	if asked := p.strs("ProductDescription"); len(asked) > 0 {
		descriptions = nil
		for _, d := range linuxProductDescriptions {
			if slices.Contains(asked, d) {
				descriptions = append(descriptions, d)
			}
		}
	}
	var out []spotPool
	for i, facts := range s.types {
		if od, ok := s.prices[facts.Name]; !ok || od <= 0 || (len(types) > 0 && !slices.Contains(types, facts.Name)) {
			continue
		}
		for _, z := range zones {
			for _, d := range descriptions {
				ok, err := match(filters, nil, func(name string) ([]string, bool) {
					switch name {
					case "instance-type":
						return []string{facts.Name}, true
					case "availability-zone":
						return []string{z.name}, true
					case "product-description":
						return []string{d}, true
					}
					return nil, false
				})
				if err != nil {
					return nil, err
				}
				if ok {
					out = append(out, spotPool{typeIndex: i, zone: z, description: d})
				}
			}
		}
	}
	return out, nil
}

// timeParam reads an ISO 8601 timestamp, or returns def when it is absent.
func timeParam(p params, key string, def time.Time) (time.Time, error) {
	v := p.str(key)
	if v == "" {
		return def, nil
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return time.Time{}, clientError("InvalidParameterValue", "Value (%s) for parameter %s is invalid. Expected an ISO 8601 timestamp.", v, key)
	}
	return t, nil
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
